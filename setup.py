"""
Packaging for websockets: the standard library only at run time.

The C accelerator websockets/speedups.c is optional: it's built when a
compiler is available, and a failed build doesn't fail the installation, as
websockets.utils falls back to pure Python. Set WEBSOCKETS_BUILD_SPEEDUPS=0
to skip it.

"""

import os
import pathlib
import re

import setuptools


root = pathlib.Path(__file__).parent
version = re.search(
    r'^version = "([^"]+)"', (root / "websockets" / "version.py").read_text(), re.M
)
assert version is not None

ext_modules = []
if os.environ.get("WEBSOCKETS_BUILD_SPEEDUPS") != "0":
    ext_modules.append(
        setuptools.Extension(
            "websockets.speedups", ["websockets/speedups.c"], optional=True
        )
    )

setuptools.setup(
    name="websockets",
    version=version.group(1),
    description="A WebSocket client and server library for Python's asyncio",
    long_description=(root / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="BSD-3-Clause",
    packages=["websockets", "websockets.extensions"],
    package_data={"websockets": ["py.typed", "speedups.pyi"]},
    ext_modules=ext_modules,
    python_requires=">=3.8",
    install_requires=[],
    extras_require={"uvloop": ["uvloop>=0.14"]},
    classifiers=[
        "Development Status :: 4 - Beta",
        "Framework :: AsyncIO",
        "Intended Audience :: Developers",
        "Operating System :: OS Independent",
        "Programming Language :: Python :: 3",
        "Programming Language :: Python :: 3.8",
        "Programming Language :: Python :: 3.9",
        "Programming Language :: Python :: 3.10",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
        "Typing :: Typed",
    ],
    zip_safe=False,
)
