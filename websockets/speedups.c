/*
 * Optional C accelerator for websockets.utils: masking (RFC 6455 5.3).
 *
 * Byte i of the payload is XOR-ed with byte i % 4 of the masking key. This
 * module does it 16 bytes at a time with SSE2 where the compiler targets it,
 * else 8 bytes at a time with a 64-bit word, then byte by byte for the tail.
 *
 * setup.py builds it when a compiler is available; websockets.utils falls
 * back to its pure Python implementation when it isn't built, or when the
 * environment variable WEBSOCKETS_SPEEDUPS is set to 0.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdint.h>
#include <string.h>

#if defined(__SSE2__) || defined(_M_X64) || \
    (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#include <emmintrin.h>
#define WEBSOCKETS_SSE2 1
#endif

/*
 * Write size bytes of src XOR-ed with the repeated 4-byte mask to dst.
 *
 * Every block below starts at an offset that is a multiple of 4, so it lines
 * up with the mask repeated in memory order. Loads and stores go through
 * memcpy (or unaligned SSE2 intrinsics): the buffers have no alignment
 * guarantee, and compilers turn fixed-size memcpy into plain moves.
 */
static void
mask_bytes(unsigned char *dst, const unsigned char *src, Py_ssize_t size,
           const unsigned char mask[4])
{
    unsigned char pattern[16];
    uint64_t mask64;
    Py_ssize_t i = 0;

    memcpy(pattern, mask, 4);
    memcpy(pattern + 4, mask, 4);
    memcpy(pattern + 8, pattern, 8);
    memcpy(&mask64, pattern, 8);

#ifdef WEBSOCKETS_SSE2
    {
        __m128i mask128 = _mm_loadu_si128((const __m128i *)pattern);

        for (; size - i >= 64; i += 64) {
            __m128i a = _mm_loadu_si128((const __m128i *)(src + i));
            __m128i b = _mm_loadu_si128((const __m128i *)(src + i + 16));
            __m128i c = _mm_loadu_si128((const __m128i *)(src + i + 32));
            __m128i d = _mm_loadu_si128((const __m128i *)(src + i + 48));
            _mm_storeu_si128((__m128i *)(dst + i), _mm_xor_si128(a, mask128));
            _mm_storeu_si128((__m128i *)(dst + i + 16), _mm_xor_si128(b, mask128));
            _mm_storeu_si128((__m128i *)(dst + i + 32), _mm_xor_si128(c, mask128));
            _mm_storeu_si128((__m128i *)(dst + i + 48), _mm_xor_si128(d, mask128));
        }
        for (; size - i >= 16; i += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(src + i));
            _mm_storeu_si128((__m128i *)(dst + i), _mm_xor_si128(a, mask128));
        }
    }
#endif

    for (; size - i >= 8; i += 8) {
        uint64_t word;
        memcpy(&word, src + i, 8);
        word ^= mask64;
        memcpy(dst + i, &word, 8);
    }
    for (; i < size; i++) {
        dst[i] = src[i] ^ mask[i & 3];
    }
}

PyDoc_STRVAR(apply_mask_doc,
"apply_mask($module, data, mask, /)\n"
"--\n"
"\n"
"Mask or unmask ``data`` with the 4-byte ``mask`` (RFC 6455 5.3).\n"
"\n"
"Masking is its own inverse: applying the same mask twice returns the\n"
"original data. Both arguments may be any bytes-like objects.\n"
"\n"
"Raises:\n"
"    ValueError: if ``mask`` isn't 4 bytes long.\n"
"    TypeError: if ``data`` or ``mask`` isn't a bytes-like object.\n");

static PyObject *
apply_mask(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer data, mask;
    unsigned char key[4];
    PyObject *result;
    unsigned char *out;

    (void)module;
    if (nargs != 2) {
        PyErr_Format(PyExc_TypeError,
                     "apply_mask() takes 2 positional arguments but %zd were given",
                     nargs);
        return NULL;
    }

    /* The mask first, as in the Python implementation: any bytes-like
       object of 4 bytes, copied in C order whatever its layout. */
    if (PyObject_GetBuffer(args[1], &mask, PyBUF_FULL_RO) < 0) {
        return NULL;
    }
    if (mask.len != 4) {
        PyBuffer_Release(&mask);
        PyErr_SetString(PyExc_ValueError, "mask must contain 4 bytes");
        return NULL;
    }
    if (PyBuffer_ToContiguous(key, &mask, 4, 'C') < 0) {
        PyBuffer_Release(&mask);
        return NULL;
    }
    PyBuffer_Release(&mask);

    /* PyBUF_FULL_RO accepts every exporter, including strided and
       multi-dimensional views; data.len counts bytes, not items. */
    if (PyObject_GetBuffer(args[0], &data, PyBUF_FULL_RO) < 0) {
        return NULL;
    }
    result = PyBytes_FromStringAndSize(NULL, data.len);
    if (result == NULL) {
        PyBuffer_Release(&data);
        return NULL;
    }
    out = (unsigned char *)PyBytes_AS_STRING(result);
    if (PyBuffer_IsContiguous(&data, 'C')) {
        mask_bytes(out, (const unsigned char *)data.buf, data.len, key);
    }
    else {
        /* Gather the bytes in C order into the result, then mask in place. */
        if (PyBuffer_ToContiguous(out, &data, data.len, 'C') < 0) {
            PyBuffer_Release(&data);
            Py_DECREF(result);
            return NULL;
        }
        mask_bytes(out, out, data.len, key);
    }
    PyBuffer_Release(&data);
    return result;
}

static PyMethodDef speedups_methods[] = {
    {"apply_mask", (PyCFunction)(void (*)(void))apply_mask, METH_FASTCALL,
     apply_mask_doc},
    {NULL, NULL, 0, NULL},
};

static int
speedups_exec(PyObject *module)
{
    PyObject *all = Py_BuildValue("[s]", "apply_mask");

    if (all == NULL) {
        return -1;
    }
    /* PyModule_AddObject steals the reference only when it succeeds. */
    if (PyModule_AddObject(module, "__all__", all) < 0) {
        Py_DECREF(all);
        return -1;
    }
    return 0;
}

/* The module has no state: it's safe in subinterpreters and without the GIL. */
static PyModuleDef_Slot speedups_slots[] = {
    {Py_mod_exec, (void *)speedups_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
#if PY_VERSION_HEX >= 0x030D0000
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

PyDoc_STRVAR(speedups_doc,
"C implementation of :func:`websockets.utils.apply_mask` (RFC 6455 5.3).");

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "websockets.speedups",
    speedups_doc,
    0,
    speedups_methods,
    speedups_slots,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit_speedups(void)
{
    return PyModuleDef_Init(&speedups_module);
}
