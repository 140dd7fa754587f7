/*
 * Optional C accelerator for websockets: masking (RFC 6455 5.3), encoding a
 * data frame (RFC 6455 5.2) and parsing a run of whole messages, each in one
 * unfragmented Text or Binary frame, out of the receive buffer.
 *
 * Byte i of the payload is XOR-ed with byte i % 4 of the masking key. This
 * module does it 16 bytes at a time with SSE2 where the compiler targets it,
 * else 8 bytes at a time with a 64-bit word, then byte by byte for the tail.
 *
 * setup.py builds it when a compiler is available; websockets.utils,
 * websockets.framing and websockets.connection fall back to pure Python when
 * it isn't built, or when the environment variable WEBSOCKETS_SPEEDUPS is
 * set to 0. Both paths produce the same bytes and the same events.
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

/* Check the number of positional arguments, as Python functions do. */
static int
check_nargs(const char *name, Py_ssize_t nargs, Py_ssize_t expected)
{
    if (nargs == expected) {
        return 0;
    }
    PyErr_Format(PyExc_TypeError,
                 "%s() takes %zd positional arguments but %zd were given",
                 name, expected, nargs);
    return -1;
}

/*
 * Copy a 4-byte masking key from any bytes-like object, in C order whatever
 * its layout. Return 0, or -1 with an exception set.
 */
static int
read_key(PyObject *obj, unsigned char key[4])
{
    Py_buffer mask;

    if (PyObject_GetBuffer(obj, &mask, PyBUF_FULL_RO) < 0) {
        return -1;
    }
    if (mask.len != 4) {
        PyBuffer_Release(&mask);
        PyErr_SetString(PyExc_ValueError, "mask must contain 4 bytes");
        return -1;
    }
    if (PyBuffer_ToContiguous(key, &mask, 4, 'C') < 0) {
        PyBuffer_Release(&mask);
        return -1;
    }
    PyBuffer_Release(&mask);
    return 0;
}

/*
 * Write the data->len bytes of data to out in C order, masked with key
 * unless it's NULL. Return 0, or -1 with an exception set.
 */
static int
write_payload(unsigned char *out, Py_buffer *data, const unsigned char *key)
{
    if (PyBuffer_IsContiguous(data, 'C')) {
        if (key != NULL) {
            mask_bytes(out, (const unsigned char *)data->buf, data->len, key);
        }
        else if (data->len) {
            memcpy(out, data->buf, (size_t)data->len);
        }
        return 0;
    }
    /* Gather the bytes in C order into out, then mask in place. */
    if (PyBuffer_ToContiguous(out, data, data->len, 'C') < 0) {
        return -1;
    }
    if (key != NULL) {
        mask_bytes(out, out, data->len, key);
    }
    return 0;
}

/* Return a new bytes object: size bytes of src, unmasked with key unless NULL. */
static PyObject *
new_payload(const unsigned char *src, Py_ssize_t size, const unsigned char *key)
{
    PyObject *result = PyBytes_FromStringAndSize(NULL, size);

    if (result == NULL) {
        return NULL;
    }
    if (key != NULL) {
        mask_bytes((unsigned char *)PyBytes_AS_STRING(result), src, size, key);
    }
    else if (size) {
        memcpy(PyBytes_AS_STRING(result), src, (size_t)size);
    }
    return result;
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
    Py_buffer data;
    unsigned char key[4];
    PyObject *result;

    (void)module;
    if (check_nargs("apply_mask", nargs, 2) < 0) {
        return NULL;
    }

    /* The mask first, as in the Python implementation. */
    if (read_key(args[1], key) < 0) {
        return NULL;
    }

    /* PyBUF_FULL_RO accepts every exporter, including strided and
       multi-dimensional views; data.len counts bytes, not items. */
    if (PyObject_GetBuffer(args[0], &data, PyBUF_FULL_RO) < 0) {
        return NULL;
    }
    result = PyBytes_FromStringAndSize(NULL, data.len);
    if (result != NULL &&
        write_payload((unsigned char *)PyBytes_AS_STRING(result), &data, key) < 0) {
        Py_CLEAR(result);
    }
    PyBuffer_Release(&data);
    return result;
}

/*
 * Write the header of a frame to header: its first byte, the payload length
 * and the masking key unless key is NULL. Return its size.
 */
static Py_ssize_t
write_header(unsigned char header[14], unsigned char head, uint64_t length,
             const unsigned char *key)
{
    Py_ssize_t header_size;

    /* RFC 6455 5.2: 7 bits, then 16 bits after 126, then 64 bits after 127,
       in network byte order. */
    header[0] = head;
    if (length < 126) {
        header[1] = (unsigned char)length;
        header_size = 2;
    }
    else if (length < 65536) {
        header[1] = 126;
        header[2] = (unsigned char)(length >> 8);
        header[3] = (unsigned char)length;
        header_size = 4;
    }
    else {
        int i;

        header[1] = 127;
        for (i = 0; i < 8; i++) {
            header[2 + i] = (unsigned char)(length >> (56 - 8 * i));
        }
        header_size = 10;
    }
    if (key != NULL) {
        header[1] |= 0x80;
        memcpy(header + header_size, key, 4);
        header_size += 4;
    }
    return header_size;
}

/*
 * Return a new bytes object holding a frame's header, with room for its
 * payload of length bytes at *payload, for the caller to fill; or NULL
 * with an exception set.
 */
static PyObject *
new_frame(unsigned char head, Py_ssize_t length, const unsigned char *key,
          unsigned char **payload)
{
    unsigned char header[14];
    Py_ssize_t header_size = write_header(header, head, (uint64_t)length, key);
    PyObject *result;

    /* Check the total size before allocating it. */
    if (length > PY_SSIZE_T_MAX - header_size) {
        return PyErr_NoMemory();
    }
    result = PyBytes_FromStringAndSize(NULL, header_size + length);
    if (result == NULL) {
        return NULL;
    }
    memcpy(PyBytes_AS_STRING(result), header, (size_t)header_size);
    *payload = (unsigned char *)PyBytes_AS_STRING(result) + header_size;
    return result;
}

PyDoc_STRVAR(encode_frame_doc,
"encode_frame($module, head, data, key, /)\n"
"--\n"
"\n"
"Encode a frame from its first byte and its payload (RFC 6455 5.2).\n"
"\n"
"``head`` holds the FIN bit, the RSV bits and the opcode. With a 4-byte\n"
"``key``, the MASK bit is set and the payload is masked with it; with\n"
"``None``, the frame isn't masked. The payload length is ``data``'s size\n"
"in bytes. The frame is built in a single allocation.\n"
"\n"
"Raises:\n"
"    ValueError: if ``head`` isn't a byte or ``key`` isn't 4 bytes long.\n"
"    TypeError: if ``data`` or ``key`` isn't a bytes-like object.\n");

static PyObject *
encode_frame(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer data;
    unsigned char key[4];
    long head;
    int masked;
    PyObject *result;
    unsigned char *out;

    (void)module;
    if (check_nargs("encode_frame", nargs, 3) < 0) {
        return NULL;
    }
    head = PyLong_AsLong(args[0]);
    if (head == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (head < 0 || head > 255) {
        PyErr_SetString(PyExc_ValueError, "head must be in range(256)");
        return NULL;
    }

    masked = args[2] != Py_None;
    if (masked && read_key(args[2], key) < 0) {
        return NULL;
    }

    if (PyObject_GetBuffer(args[1], &data, PyBUF_FULL_RO) < 0) {
        return NULL;
    }
    result = new_frame((unsigned char)head, data.len, masked ? key : NULL, &out);
    if (result != NULL && write_payload(out, &data, masked ? key : NULL) < 0) {
        Py_CLEAR(result);
    }
    PyBuffer_Release(&data);
    return result;
}

/* What the module keeps: the attribute names that the adapter's hot path
   reads, in receive_messages and frame_message. */
typedef struct {
    PyObject *state, *debug, *discard, *parser, *probe, *msg_opcode,
        *pending_failure, *output, *events, *buffer, *max_size, *append,
        *extensions, *send_fragmented;
} speedups_state;

/* Append a message to the sink: a list, or a callable such as deque.append. */
typedef int (*emit_fn)(PyObject *sink, PyObject *message);

static int
emit_to_list(PyObject *sink, PyObject *message)
{
    return PyList_Append(sink, message);
}

static int
emit_by_call(PyObject *sink, PyObject *message)
{
#if PY_VERSION_HEX >= 0x03090000
    PyObject *result = PyObject_CallOneArg(sink, message);
#else
    PyObject *result = PyObject_CallFunctionObjArgs(sink, message, NULL);
#endif

    if (result == NULL) {
        return -1;
    }
    Py_DECREF(result);
    return 0;
}

/*
 * Read max_size: -1 for None (no limit), else the limit. Return 0, 1 when no
 * frame can fit (a negative limit), or -1 with an exception set.
 */
static int
read_max_size(PyObject *obj, long long *max_size)
{
    int overflow;

    *max_size = -1;
    if (obj == Py_None) {
        return 0;
    }
    if (!PyLong_Check(obj)) {
        PyErr_Format(PyExc_TypeError, "max_size must be int or None, not '%.200s'",
                     Py_TYPE(obj)->tp_name);
        return -1;
    }
    *max_size = PyLong_AsLongLongAndOverflow(obj, &overflow);
    if (*max_size == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (overflow > 0) {
        *max_size = -1;  /* larger than any buffer */
        return 0;
    }
    if (overflow < 0 || *max_size < 0) {
        return 1;
    }
    return 0;
}

/* Payloads up to this size are unmasked on the stack to be decoded. */
#define STACK_PAYLOAD 1024

/*
 * Parse the run of whole messages at the start of buf (see parse_messages)
 * and emit them. Return the number of bytes parsed, or -1 with an exception
 * set; *done is then the number of bytes of the messages already emitted. A
 * frame with RSV1 ends the run: its first byte goes to *first and its
 * unmasked payload to *compressed.
 */
static Py_ssize_t
parse_run(const unsigned char *buf, Py_ssize_t size, int mask, long long max_size,
          int plain, int deflate, emit_fn emit, PyObject *sink, int *first,
          PyObject **compressed, Py_ssize_t *count, Py_ssize_t *done)
{
    Py_ssize_t pos = 0;
    unsigned char mask_bit = mask ? 0x80 : 0;
    unsigned char stack[STACK_PAYLOAD];

    /* Every read below is at an offset checked against size first. */
    while (size - pos >= 2) {
        const unsigned char *frame = buf + pos;
        Py_ssize_t available = size - pos, header = 2;
        unsigned char head = frame[0], second = frame[1];
        uint64_t length = second & 0x7F;
        const unsigned char *payload, *key;
        PyObject *message;

        *done = pos;
        if (head == 0x81 || head == 0x82) {
            if (!plain) {
                break;
            }
        }
        else if (head == 0xC1 || head == 0xC2) {
            if (!deflate) {
                break;
            }
        }
        else {
            break;
        }
        if ((second & 0x80) != mask_bit) {
            break;
        }
        if (length == 126) {
            header = 4;
            if (available < header) {
                break;
            }
            length = ((uint64_t)frame[2] << 8) | frame[3];
        }
        else if (length == 127) {
            int i;

            header = 10;
            if (available < header) {
                break;
            }
            length = 0;
            for (i = 2; i < 10; i++) {
                length = (length << 8) | frame[i];
            }
            if (length >> 63) {
                /* RFC 6455 5.2: a protocol error, for the caller to report. */
                break;
            }
        }
        if (mask_bit) {
            header += 4;
        }
        /* Limits first: nothing is allocated for a frame that isn't whole
           in the buffer or is over max_size. */
        if (available < header || length > (uint64_t)(available - header)) {
            break;
        }
        if (max_size >= 0 && length > (uint64_t)max_size) {
            break;
        }
        payload = frame + header;
        key = mask_bit ? payload - 4 : NULL;

        if (head & 0x40) {
            /* Compressed: the caller decompresses it, then decodes Text. */
            *compressed = new_payload(payload, (Py_ssize_t)length, key);
            if (*compressed == NULL) {
                return -1;
            }
            *first = head;
            pos += header + (Py_ssize_t)length;
            break;
        }

        if (head == 0x82) {
            message = new_payload(payload, (Py_ssize_t)length, key);
            if (message == NULL) {
                return -1;
            }
        }
        else {
            const unsigned char *text = payload;
            unsigned char *heap = NULL;

            if (key != NULL) {
                if (length <= STACK_PAYLOAD) {
                    mask_bytes(stack, payload, (Py_ssize_t)length, key);
                    text = stack;
                }
                else {
                    /* length fits: it's at most the size of the buffer. */
                    heap = (unsigned char *)PyMem_Malloc((size_t)length);
                    if (heap == NULL) {
                        PyErr_NoMemory();
                        return -1;
                    }
                    mask_bytes(heap, payload, (Py_ssize_t)length, key);
                    text = heap;
                }
            }
            message = PyUnicode_DecodeUTF8((const char *)text, (Py_ssize_t)length,
                                           NULL);
            PyMem_Free(heap);
            if (message == NULL) {
                if (PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
                    /* RFC 6455 8.1: the caller decodes this frame again and
                       fails the connection with the position of the error. */
                    PyErr_Clear();
                    break;
                }
                return -1;
            }
        }
        if (emit(sink, message) < 0) {
            Py_DECREF(message);
            return -1;
        }
        Py_DECREF(message);
        pos += header + (Py_ssize_t)length;
        (*count)++;
    }
    *done = pos;
    return pos;
}

PyDoc_STRVAR(parse_messages_doc,
"parse_messages($module, buffer, events, mask, max_size, plain, deflate, /)\n"
"--\n"
"\n"
"Parse the messages at the start of ``buffer`` that need no other check.\n"
"\n"
"Each frame must be complete in ``buffer`` and be a whole message: FIN set,\n"
"opcode Text or Binary, no RSV bit (when ``plain``) or RSV1 alone (when\n"
"``deflate``), the MASK bit set if and only if ``mask``, a length that fits\n"
"in 63 bits and is at most ``max_size`` (``None`` for no limit). Parsing\n"
"stops at the first frame that isn't like that, or whose Text payload isn't\n"
"valid UTF-8: the caller handles it. Control frames, fragments and errors\n"
"are never handled here.\n"
"\n"
"The messages without RSV1 are unmasked and appended to ``events``: Text as\n"
"``str``, Binary as ``bytes``. A frame with RSV1 ends the run: its payload\n"
"is unmasked and returned, for the caller to decompress and decode.\n"
"\n"
"Returns:\n"
"    ``(consumed, first, payload)``: the number of bytes parsed from the\n"
"    start of ``buffer``, which the caller deletes, then the first byte and\n"
"    the payload of the compressed frame that ends them, if any, else\n"
"    ``0`` and ``None``.\n"
"\n"
"Raises:\n"
"    TypeError: if ``buffer`` isn't a bytes-like object or ``events`` isn't\n"
"        a list.\n"
"    BufferError: if ``buffer`` isn't contiguous.\n");

/* Return (consumed, first, payload), taking the reference to payload. */
static PyObject *
parse_result(Py_ssize_t consumed, int first, PyObject *payload)
{
    PyObject *result = PyTuple_New(3), *item;

    if (payload == NULL) {
        payload = Py_None;
        Py_INCREF(payload);
    }
    if (result == NULL) {
        Py_DECREF(payload);
        return NULL;
    }
    /* PyTuple_SET_ITEM steals the references, even to NULL. */
    PyTuple_SET_ITEM(result, 2, payload);
    if ((item = PyLong_FromSsize_t(consumed)) == NULL) {
        Py_DECREF(result);
        return NULL;
    }
    PyTuple_SET_ITEM(result, 0, item);
    if ((item = PyLong_FromLong(first)) == NULL) {
        Py_DECREF(result);
        return NULL;
    }
    PyTuple_SET_ITEM(result, 1, item);
    return result;
}

static PyObject *
parse_messages(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    Py_buffer view;
    Py_ssize_t pos, count = 0, done = 0;
    PyObject *events, *compressed = NULL;
    int mask, plain, deflate, first = 0, none_fits;
    long long max_size;

    (void)module;
    if (check_nargs("parse_messages", nargs, 6) < 0) {
        return NULL;
    }
    events = args[1];
    if (!PyList_Check(events)) {
        PyErr_Format(PyExc_TypeError, "events must be a list, not '%.200s'",
                     Py_TYPE(events)->tp_name);
        return NULL;
    }
    if ((mask = PyObject_IsTrue(args[2])) < 0 ||
        (plain = PyObject_IsTrue(args[4])) < 0 ||
        (deflate = PyObject_IsTrue(args[5])) < 0) {
        return NULL;
    }
    if ((none_fits = read_max_size(args[3], &max_size)) < 0) {
        return NULL;
    }
    if (none_fits) {
        /* No frame is small enough, not even an empty one. */
        return parse_result(0, 0, NULL);
    }
    if (PyObject_GetBuffer(args[0], &view, PyBUF_SIMPLE) < 0) {
        return NULL;
    }
    /* On error, the messages appended so far stay in events. */
    pos = parse_run((const unsigned char *)view.buf, view.len, mask, max_size,
                    plain, deflate, emit_to_list, events, &first, &compressed,
                    &count, &done);
    PyBuffer_Release(&view);
    if (pos < 0) {
        return NULL;
    }
    return parse_result(pos, first, compressed);
}

PyDoc_STRVAR(receive_messages_doc,
"receive_messages($module, conn, data, open, mask, messages, /)\n"
"--\n"
"\n"
"Receive ``data`` into ``conn``, a websockets.connection.Connection, on its\n"
"hot path: the whole messages at the start of ``data`` (as parse_messages\n"
"finds them) go straight to ``messages.append``; the\n"
"rest goes to the connection's receive buffer, for ``conn.receive_data(b'')``\n"
"to parse. ``open`` is the OPEN state and ``mask`` tells whether frames\n"
"must be masked (on a server).\n"
"\n"
"This applies only when nothing is pending in ``conn``: state ``open``, no\n"
"extension, no debug logs, nothing buffered or being parsed, no fragmented\n"
"message, no failure, no event or output waiting. Else nothing happens and\n"
"the result is -1.\n"
"\n"
"Returns:\n"
"    The number of messages appended, or -1.\n"
"\n"
"Raises:\n"
"    MemoryError: and the like, from appending a message: the messages\n"
"        appended so far stay, what follows them is in the buffer.\n");

/* Return 1 if getattr(obj, name) is expected, 0 if not, -1 on error. */
static int
attr_is(PyObject *obj, PyObject *name, PyObject *expected)
{
    PyObject *value = PyObject_GetAttr(obj, name);
    int result;

    if (value == NULL) {
        return -1;
    }
    result = value == expected;
    Py_DECREF(value);
    return result;
}

/* Return the truth of getattr(obj, name), or -1 on error. */
static int
attr_true(PyObject *obj, PyObject *name)
{
    PyObject *value = PyObject_GetAttr(obj, name);
    int result;

    if (value == NULL) {
        return -1;
    }
    result = PyObject_IsTrue(value);
    Py_DECREF(value);
    return result;
}

static PyObject *
receive_messages(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    speedups_state *st = (speedups_state *)PyModule_GetState(module);
    PyObject *conn, *buffer = NULL, *append = NULL, *max_obj, *compressed = NULL;
    Py_buffer view;
    Py_ssize_t pos, count = 0, done = 0;
    long long max_size;
    int mask, first = 0, none_fits, ok;

    if (check_nargs("receive_messages", nargs, 5) < 0) {
        return NULL;
    }
    conn = args[0];
    if ((mask = PyObject_IsTrue(args[3])) < 0) {
        return NULL;
    }
    /* Every condition of the hot path, cheapest and likeliest to fail first. */
    if ((ok = attr_is(conn, st->state, args[2])) <= 0 ||
        (ok = attr_is(conn, st->parser, Py_None)) <= 0 ||
        (ok = attr_is(conn, st->msg_opcode, Py_None)) <= 0 ||
        (ok = attr_is(conn, st->probe, Py_None)) <= 0 ||
        (ok = attr_is(conn, st->pending_failure, Py_None)) <= 0 ||
        (ok = !attr_true(conn, st->extensions)) <= 0 ||
        (ok = !attr_true(conn, st->debug)) <= 0 ||
        (ok = !attr_true(conn, st->discard)) <= 0 ||
        (ok = !attr_true(conn, st->output)) <= 0 ||
        (ok = !attr_true(conn, st->events)) <= 0) {
        /* !(-1) is 0: an error reads as a failed condition; check it. */
        if (PyErr_Occurred()) {
            return NULL;
        }
        return PyLong_FromLong(-1);
    }
    buffer = PyObject_GetAttr(conn, st->buffer);
    if (buffer == NULL) {
        return NULL;
    }
    if (!PyByteArray_CheckExact(buffer) || PyByteArray_GET_SIZE(buffer)) {
        Py_DECREF(buffer);
        return PyLong_FromLong(-1);
    }
    max_obj = PyObject_GetAttr(conn, st->max_size);
    if (max_obj == NULL) {
        Py_DECREF(buffer);
        return NULL;
    }
    /* Anything but an int or None: the core's Python compares it. */
    none_fits = max_obj == Py_None || PyLong_Check(max_obj)
                    ? read_max_size(max_obj, &max_size) : 1;
    Py_DECREF(max_obj);
    if (none_fits) {
        Py_DECREF(buffer);
        return none_fits < 0 ? NULL : PyLong_FromLong(-1);
    }
    append = PyObject_GetAttr(args[4], st->append);
    if (append == NULL) {
        Py_DECREF(buffer);
        return NULL;
    }
    if (PyObject_GetBuffer(args[1], &view, PyBUF_SIMPLE) < 0) {
        Py_DECREF(append);
        Py_DECREF(buffer);
        return NULL;
    }
    pos = parse_run((const unsigned char *)view.buf, view.len, mask, max_size,
                    1, 0, emit_by_call, append, &first, &compressed, &count,
                    &done);
    Py_DECREF(append);
    /* Without deflate, nothing is compressed. */
    assert(compressed == NULL);
    if (done < view.len) {
        /* What the run didn't take waits in the buffer, for the caller. */
        Py_ssize_t rest = view.len - done;
        PyObject *exc_type, *exc_value, *exc_tb;

        int resized;

        PyErr_Fetch(&exc_type, &exc_value, &exc_tb);
        /* Without the GIL, as bytearray's own methods do. */
#if PY_VERSION_HEX >= 0x030D0000
        Py_BEGIN_CRITICAL_SECTION(buffer);
#endif
        resized = PyByteArray_Resize(buffer, rest) == 0;
        if (resized) {
            memcpy(PyByteArray_AS_STRING(buffer),
                   (const char *)view.buf + done, (size_t)rest);
        }
#if PY_VERSION_HEX >= 0x030D0000
        Py_END_CRITICAL_SECTION();
#endif
        if (!resized && exc_type != NULL) {
            /* Report the first error. */
            PyErr_Clear();
        }
        if (exc_type != NULL) {
            PyErr_Restore(exc_type, exc_value, exc_tb);
        }
        if (PyErr_Occurred()) {
            pos = -1;
        }
    }
    PyBuffer_Release(&view);
    Py_DECREF(buffer);
    if (pos < 0) {
        return NULL;
    }
    return PyLong_FromSsize_t(count);
}

PyDoc_STRVAR(frame_message_doc,
"frame_message($module, conn, message, open, key, /)\n"
"--\n"
"\n"
"Encode ``message`` as one frame for ``conn``, a\n"
"websockets.connection.Connection, on the asyncio adapter's hot path: a\n"
"``str`` as a Text frame, ``bytes`` as a Binary frame, masked with the\n"
"4-byte ``key`` unless it's ``None``. The caller writes the frame itself.\n"
"\n"
"This applies only when nothing is pending in ``conn``: state ``open``, no\n"
"extension, no fragmented message being sent, no debug logs, no output\n"
"waiting. Else, or for another type of message, the result is ``None``.\n"
"\n"
"Raises:\n"
"    UnicodeEncodeError: if ``message`` has a lone surrogate.\n"
"    ValueError: if ``key`` isn't 4 bytes long.\n");

static PyObject *
frame_message(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    speedups_state *st = (speedups_state *)PyModule_GetState(module);
    PyObject *conn, *message, *result, *encoded = NULL;
    const char *payload;
    Py_ssize_t length;
    unsigned char head, key[4], *out;
    int masked, ok;

    if (check_nargs("frame_message", nargs, 4) < 0) {
        return NULL;
    }
    conn = args[0];
    message = args[1];
    if (PyBytes_CheckExact(message)) {
        head = 0x82;
    }
    else if (PyUnicode_CheckExact(message)) {
        head = 0x81;
    }
    else {
        Py_RETURN_NONE;
    }
    if ((ok = attr_is(conn, st->state, args[2])) <= 0 ||
        (ok = !attr_true(conn, st->extensions)) <= 0 ||
        (ok = !attr_true(conn, st->send_fragmented)) <= 0 ||
        (ok = !attr_true(conn, st->debug)) <= 0 ||
        (ok = !attr_true(conn, st->output)) <= 0) {
        /* !(-1) is 0: an error reads as a failed condition; check it. */
        if (PyErr_Occurred()) {
            return NULL;
        }
        Py_RETURN_NONE;
    }
    masked = args[3] != Py_None;
    if (masked && read_key(args[3], key) < 0) {
        return NULL;
    }
    if (head == 0x82) {
        payload = PyBytes_AS_STRING(message);
        length = PyBytes_GET_SIZE(message);
    }
    else if (PyUnicode_IS_ASCII(message)) {
        /* The UTF-8 of an ASCII string is the string itself: no copy. */
        payload = (const char *)PyUnicode_DATA(message);
        length = PyUnicode_GET_LENGTH(message);
    }
    else {
        /* A temporary copy: PyUnicode_AsUTF8AndSize() would keep one in the
           string for as long as it lives. */
        if ((encoded = PyUnicode_AsUTF8String(message)) == NULL) {
            return NULL;
        }
        payload = PyBytes_AS_STRING(encoded);
        length = PyBytes_GET_SIZE(encoded);
    }
    result = new_frame(head, length, masked ? key : NULL, &out);
    if (result != NULL) {
        if (masked) {
            mask_bytes(out, (const unsigned char *)payload, length, key);
        }
        else if (length) {
            memcpy(out, payload, (size_t)length);
        }
    }
    Py_XDECREF(encoded);
    return result;
}

static PyMethodDef speedups_methods[] = {
    {"apply_mask", (PyCFunction)(void (*)(void))apply_mask, METH_FASTCALL,
     apply_mask_doc},
    {"encode_frame", (PyCFunction)(void (*)(void))encode_frame, METH_FASTCALL,
     encode_frame_doc},
    {"parse_messages", (PyCFunction)(void (*)(void))parse_messages, METH_FASTCALL,
     parse_messages_doc},
    {"receive_messages", (PyCFunction)(void (*)(void))receive_messages,
     METH_FASTCALL, receive_messages_doc},
    {"frame_message", (PyCFunction)(void (*)(void))frame_message, METH_FASTCALL,
     frame_message_doc},
    {NULL, NULL, 0, NULL},
};

#define STATE_NAMES(X) \
    X(state, "state") X(debug, "debug") X(discard, "_discard") \
    X(parser, "_parser") X(probe, "_probe") X(msg_opcode, "_msg_opcode") \
    X(pending_failure, "pending_failure") X(output, "_output") \
    X(events, "_events") X(buffer, "_buffer") \
    X(max_size, "max_size") X(append, "append") X(extensions, "extensions") \
    X(send_fragmented, "_send_fragmented")

static int
speedups_exec(PyObject *module)
{
    speedups_state *st = (speedups_state *)PyModule_GetState(module);
    PyObject *all = Py_BuildValue("[sssss]", "apply_mask", "encode_frame",
                                  "frame_message", "parse_messages",
                                  "receive_messages");

    if (all == NULL) {
        return -1;
    }
    /* PyModule_AddObject steals the reference only when it succeeds. */
    if (PyModule_AddObject(module, "__all__", all) < 0) {
        Py_DECREF(all);
        return -1;
    }
#define INTERN(field, text) \
    if ((st->field = PyUnicode_InternFromString(text)) == NULL) { \
        return -1; \
    }
    STATE_NAMES(INTERN)
#undef INTERN
    return 0;
}

static int
speedups_traverse(PyObject *module, visitproc visit, void *arg)
{
    speedups_state *st = (speedups_state *)PyModule_GetState(module);

#define VISIT(field, text) Py_VISIT(st->field);
    STATE_NAMES(VISIT)
#undef VISIT
    return 0;
}

static int
speedups_clear(PyObject *module)
{
    speedups_state *st = (speedups_state *)PyModule_GetState(module);

#define CLEAR(field, text) Py_CLEAR(st->field);
    STATE_NAMES(CLEAR)
#undef CLEAR
    return 0;
}

static void
speedups_free(void *module)
{
    speedups_clear((PyObject *)module);
}

/* The module state holds only interned names: it's safe in subinterpreters
   and without the GIL. */
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
"C implementations of masking, frame encoding and message parsing.");

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "websockets.speedups",
    speedups_doc,
    sizeof(speedups_state),
    speedups_methods,
    speedups_slots,
    speedups_traverse,
    speedups_clear,
    speedups_free,
};

PyMODINIT_FUNC
PyInit_speedups(void)
{
    return PyModuleDef_Init(&speedups_module);
}
