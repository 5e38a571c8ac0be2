# Values crossing the sandbox boundary (the PyValue encoding of packages/domain/src/Value.ts).
#
# encode():   a Python object as PyValue JSON text, built with base-type C methods captured at import
#             (never the object's own methods), so an object cannot choose how it is reported. A value
#             heavier than the digest threshold is sent as a canonical digest instead (see digest()).
# decode():   PyValue (already validated) back to plain builtins, for the judge and for call arguments.
# validate(): the server's strict check of a PyValue that came from an untrusted process.
import builtins, hashlib, json.encoder, re, struct
from base64 import b64encode

# Names here resolve in a private copy of the builtins: the candidate may patch the real ones.
__builtins__ = dict(builtins.__dict__)

_type, _len, _isinstance, _issubclass = builtins.type, builtins.len, builtins.isinstance, builtins.issubclass
_range, _list, _bytes, _sorted = builtins.range, builtins.list, builtins.bytes, builtins.sorted
_int_repr, _float_repr, _float_hex, _str_str = int.__repr__, float.__repr__, float.hex, str.__str__
_int_int, _float_float = int.__int__, float.__float__
_tuple_len, _tuple_get = tuple.__len__, tuple.__getitem__
_list_len, _list_get = list.__len__, list.__getitem__
_dict_items, _set_iter, _fset_iter = dict.items, set.__iter__, frozenset.__iter__
_complex_real, _complex_imag = complex.real.__get__, complex.imag.__get__
_type_name = type.__dict__["__name__"].__get__
_bytes_decode, _str_encode = bytes.decode, str.encode
_esc = json.encoder.c_encode_basestring_ascii or json.encoder.py_encode_basestring_ascii
_sha256, _pack = hashlib.sha256, struct.pack
_join, _bjoin = "".join, b"".join
_BaseException, _RecursionError = BaseException, RecursionError
_INF, _NINF = float("inf"), float("-inf")

# Hard limits of one value (beyond them it is `unrepresentable: too large`).
MAX_NODES, MAX_DEPTH, MAX_CHARS = 1_000_000, 200, 16_000_000
# Ints longer than this are not encoded (and a frame that carries one is refused): decimal conversion is
# quadratic on both sides of the channel.
MAX_INT_DIGITS = 100_000
# Values heavier than this (nodes + characters of str and bytes) travel as a digest. Equal values have equal
# weight, so both sides of a comparison are digested or neither.
DIGEST_WEIGHT = 20_000
# A flat list/tuple of floats up to this length also carries its floats (packed), to compare within tolerance.
MAX_PACKED = 1_000_000
# A digest streams its canonical bytes into the hash, so it is bounded by time, not memory: values of more than
# MAX_NODES nodes (HumanEval+ has some) are still compared exactly.
MAX_DIGEST_NODES = 250_000_000
_FLUSH = 65536


class _TooBig(Exception):
    pass


class _Heavy(Exception):
    pass


class _NoCanon(Exception):
    """A part of a heavy value has no canonical form (an object that is not a plain builtin)."""


def _name_of(t):
    try:
        name = _type_name(t)
        return _str_str(name)[:100] if _isinstance(name, str) else "object"
    except _BaseException:
        return "object"


def _enc_float(x):
    if x != x:
        return '"nan"'
    if x == _INF:
        return '"inf"'
    if x == _NINF:
        return '"-inf"'
    return _float_repr(x)


_bit_length = int.bit_length
_MAX_INT_BITS = MAX_INT_DIGITS * 3322 // 1000  # more bits than this: more than MAX_INT_DIGITS digits


def _int_text(x):
    x = _int_int(x)
    if _bit_length(x) > _MAX_INT_BITS:
        raise _TooBig()
    s = _int_repr(x)
    if _len(s) > MAX_INT_DIGITS + 1:
        raise _TooBig()
    return s


_KINDS = {type(None): "none", bool: "bool", int: "int", float: "float", str: "str", bytes: "bytes", bytearray: "bytes",
          list: "list", tuple: "tuple", dict: "dict", set: "set", frozenset: "set", complex: "complex"}
_BASES = ((int, "int"), (float, "float"), (str, "str"), (list, "list"), (tuple, "tuple"), (dict, "dict"),
          (set, "set"), (frozenset, "set"), (complex, "complex"), (bytes, "bytes"), (bytearray, "bytes"))
_kind_of = _KINDS.get


def _plain(x):
    """The base builtin kind of `x` (subclasses count as their base), or None."""
    t = _type(x)
    kind = _kind_of(t)
    if kind is not None:
        return kind
    for base, kind in _BASES:
        if _issubclass(t, base):
            return kind
    return None


def _items(x, kind):
    if kind == "list":
        return [_list_get(x, i) for i in _range(_list_len(x))]
    if kind == "tuple":
        return [_tuple_get(x, i) for i in _range(_tuple_len(x))]
    if kind == "set":
        return _list(_set_iter(x) if _issubclass(_type(x), set) else _fset_iter(x))
    return _list(_dict_items(x))


def _as_bytes(x):
    t = _type(x)
    return _bytes(x) if _issubclass(t, bytearray) else x if t is bytes else bytes.__bytes__(x)


def encode(value, digest_weight="default"):
    """JSON text of the PyValue encoding of `value`; a digest when heavier than `digest_weight` (default: the
    module's DIGEST_WEIGHT, which the server sets from its configuration; None: never)."""
    if digest_weight == "default":
        digest_weight = DIGEST_WEIGHT
    # [nodes left, characters left, weight left before digesting]
    budget = [MAX_NODES, MAX_CHARS, digest_weight if digest_weight is not None else MAX_NODES + MAX_CHARS]
    out = []
    add = out.append

    def enc(x, depth):
        t = _type(x)
        kind = _kind_of(t) or _plain(x)
        budget[0] -= 1
        budget[2] -= 1
        if budget[0] < 0 or depth > MAX_DEPTH:
            raise _TooBig()
        if kind == "int":
            s = _int_text(x)
            add('{"t":"int","v":"' + s + '"}')
        elif kind == "str":
            s = x if t is str else _str_str(x)
            budget[1] -= _len(s)
            budget[2] -= _len(s)
            add('{"t":"str","v":' + _esc(s) + "}")
        elif kind == "float":
            add('{"t":"float","v":' + _enc_float(_float_float(x)) + "}")
        elif kind == "list" or kind == "tuple" or kind == "set":
            add('{"t":"' + kind + '","v":[')
            first = True
            # An exact list or tuple is read as it is; subclasses and sets through the base type's own methods.
            for e in (x if t is list or t is tuple else _items(x, kind)):
                if first:
                    first = False
                else:
                    add(",")
                enc(e, depth + 1)
            add("]}")
        elif kind == "none":
            add('{"t":"none"}')
        elif kind == "bool":
            add('{"t":"bool","v":true}' if x is True else '{"t":"bool","v":false}')
        elif kind == "bytes":
            b = _as_bytes(x)
            budget[1] -= _len(b)
            budget[2] -= _len(b)
            add('{"t":"bytes","v":' + _esc(_bytes_decode(b, "latin-1")) + "}")
        elif kind == "dict":
            add('{"t":"dict","v":[')
            first = True
            for k, v in _items(x, "dict"):
                add("[" if first else ",[")
                first = False
                enc(k, depth + 1)
                add(",")
                enc(v, depth + 1)
                add("]")
            add("]}")
        elif kind == "complex":
            re, im = _complex_real(x), _complex_imag(x)
            if re != re or im != im or re in (_INF, _NINF) or im in (_INF, _NINF):
                add('{"t":"unrepresentable","type":"complex(non-finite)"}')
            else:
                add('{"t":"complex","re":' + _float_repr(re) + ',"im":' + _float_repr(im) + "}")
        else:
            add('{"t":"unrepresentable","type":' + _esc(_name_of(t)) + "}")
        if budget[1] < 0:
            raise _TooBig()
        if budget[2] < 0:
            raise _Heavy()

    try:
        enc(value, 0)
        return _join(out)
    except _Heavy:
        pass
    except _TooBig:
        return '{"t":"unrepresentable","type":"too large"}'
    except _RecursionError:
        return '{"t":"unrepresentable","type":"too deep"}'
    except _BaseException:
        return '{"t":"unrepresentable","type":"unencodable"}'
    del out[:]
    try:
        return digest(value)
    except _NoCanon as e:
        return '{"t":"unrepresentable","type":' + _esc(e.args[0]) + "}"
    except (_TooBig, _RecursionError):
        return '{"t":"unrepresentable","type":"too large"}'
    except _BaseException:
        return '{"t":"unrepresentable","type":"unencodable"}'


_SMALL = 1 << 62
_set, _map, _tuple_repr = builtins.set, builtins.map, tuple.__repr__
_ONLY_STR, _ONLY_INT = frozenset((str,)), frozenset((int,))


def _canon(x, out, budget, depth, h=None):
    """Canonical bytes of `x` into `out`: equal values (Python's == on the encoding: 1 == 1.0 == True, sets
    and dicts order-free, NaN equal to NaN) give equal bytes. budget: [nodes left, weight so far]."""
    if depth > MAX_DEPTH:
        raise _TooBig()
    t = _type(x)
    kind = _kind_of(t) or _plain(x)
    budget[0] -= 1
    budget[1] += 1
    if budget[0] < 0:
        raise _TooBig()
    add = out.append
    if (t is tuple or t is list) and x:
        types = _set(_map(_type, x))
        if types == _ONLY_STR and t is tuple:
            # A tuple of plain strs (EvalPlus 255 returns 1.6M of them): its repr, a form of its own (tag R).
            r = _str_encode(_tuple_repr(x), "utf-8", "surrogatepass")
            budget[0] -= _len(x)
            budget[1] += _len(x) + _len(r)
            if budget[0] < 0:
                raise _TooBig()
            add(b"R%d:" % _len(r) + r)
            return
        if types == _ONLY_INT:
            # The same bytes as the loop below would add, built in C.
            budget[0] -= _len(x)
            budget[1] += _len(x)
            if budget[0] < 0:
                raise _TooBig()
            add((b"[i" if t is list else b"(i") + _str_encode(";i".join(_map(_int_repr, x)), "ascii") + (b";]" if t is list else b";)"))
            return
    if kind == "list" or kind == "tuple":
        add(b"[" if kind == "list" else b"(")
        for e in (x if t is list or t is tuple else _items(x, kind)):
            te = _type(e)
            if te is int and -_SMALL < e < _SMALL:  # the common case, without a call
                budget[0] -= 1
                budget[1] += 1
                add(b"i%d;" % e)
            else:
                _canon(e, out, budget, depth + 1, h)
            if h is not None and _len(out) >= _FLUSH:
                h.update(_bjoin(out))
                del out[:]
        add(b"]" if kind == "list" else b")")
        if budget[0] < 0:
            raise _TooBig()
    elif kind == "none":
        add(b"N")
    elif kind in ("bool", "int"):
        add(b"i" + _str_encode(_int_text(x), "ascii") + b";")
    elif kind == "float":
        _canon_float(_float_float(x), out)
    elif kind == "str":
        s = x if t is str else _str_str(x)
        budget[1] += _len(s)
        b = _str_encode(s, "utf-8", "surrogatepass")
        add(b"s%d:" % _len(b) + b)
    elif kind == "complex":
        re, im = _complex_real(x), _complex_imag(x)
        if im == 0:
            _canon_float(re, out)
        else:
            add(b"c" + _str_encode(_float_hex(re) + "," + _float_hex(im), "ascii") + b";")
    elif kind == "bytes":
        b = _as_bytes(x)
        budget[1] += _len(b)
        add(b"b%d:" % _len(b) + b)
    elif kind == "set" or kind == "dict":
        parts = []
        for item in _items(x, kind):
            one = []
            if kind == "set":
                _canon(item, one, budget, depth + 1)
            else:
                _canon(item[0], one, budget, depth + 1)
                _canon(item[1], one, budget, depth + 1)
            parts.append(_bjoin(one))
        parts.sort()
        add((b"{" if kind == "set" else b"<") + _bjoin(parts) + (b"}" if kind == "set" else b">"))
    else:
        raise _NoCanon(_name_of(t))


def _canon_float(f, out):
    if f != f:
        out.append(b"fnan;")
    elif f in (_INF, _NINF):
        out.append(b"finf;" if f > 0 else b"f-inf;")
    elif f == int(f):
        out.append(b"i" + _str_encode(_int_repr(int(f)), "ascii") + b";")
    else:
        out.append(b"f" + _str_encode(_float_hex(f), "ascii") + b";")


def _length(x, kind):
    t = _type(x)
    if t is list or t is tuple or t is dict or t is set or t is frozenset:
        return _len(x)
    return _len(_items(x, kind))


def digest(value):
    """PyValue JSON of a digest: sha256 of the canonical bytes, the weight, the container and its length;
    a flat list/tuple of floats also carries its floats (little-endian f64, base64) for tolerant comparison."""
    out = []
    budget = [MAX_DIGEST_NODES, 0]
    h = _sha256()
    _canon(value, out, budget, 0, h)
    h.update(_bjoin(out))
    kind = _plain(value)
    n = _length(value, kind) if kind in ("list", "tuple", "set", "dict") else 1
    text = ('{"t":"digest","h":"' + h.hexdigest() + '","w":' + _int_repr(budget[1]) + ',"c":"'
            + (kind or "object") + '","n":' + _int_repr(n))
    if kind in ("list", "tuple") and 0 < n <= MAX_PACKED:
        xs = value if _type(value) in (list, tuple) else _items(value, kind)
        if all(_type(e) is float or _plain(e) == "float" for e in xs):
            text += ',"q":"' + _bytes_decode(b64encode(_pack("<%dd" % n, *[_float_float(e) for e in xs])), "ascii") + '"'
    return text + "}"


# ------------------------------------------------------------------ decoding (plain builtins only)

class Opaque:
    """A value that has no plain form here (unrepresentable, or a digest): it equals only itself."""
    __slots__ = ("kind",)

    def __init__(self, kind):
        self.kind = kind

    def __repr__(self):
        return "<" + self.kind + ">"


def decode(v):
    """A validated PyValue (parsed JSON) as plain builtins."""
    t = v["t"]
    if t == "none":
        return None
    if t == "bool" or t == "str":
        return v["v"]
    if t == "int":
        return int(v["v"])
    if t == "float":
        x = v["v"]
        return float(x) if _isinstance(x, str) else float(x)
    if t == "complex":
        return complex(v["re"], v["im"])
    if t == "bytes":
        return v["v"].encode("latin-1")
    if t == "list":
        return [decode(e) for e in v["v"]]
    if t == "tuple":
        return tuple(decode(e) for e in v["v"])
    if t == "set":
        items = [decode(e) for e in v["v"]]
        try:
            return set(items)
        except TypeError:
            return Opaque("set")
    if t == "dict":
        try:
            return {decode(k): decode(x) for k, x in v["v"]}
        except TypeError:
            return Opaque("dict")
    return Opaque(v.get("type") or t)


# ------------------------------------------------------------------ validation (server side)

class Invalid(Exception):
    pass


_HEX = re.compile(r"[0-9a-f]{64}").fullmatch
_INT = re.compile(r"-?(0|[1-9][0-9]*)").fullmatch
_B64 = re.compile(r"[A-Za-z0-9+/]*={0,2}").fullmatch
_SCALAR_KEYS = {"none": ("t",), "bool": ("t", "v"), "int": ("t", "v"), "float": ("t", "v"), "str": ("t", "v"),
                "bytes": ("t", "v"), "complex": ("t", "re", "im"), "unrepresentable": ("t", "type")}


def _number(x):
    return (_type(x) is int or _type(x) is float) and x == x and x not in (_INF, _NINF)


def valid_int_text(s):
    return _type(s) is str and _len(s) <= MAX_INT_DIGITS + 1 and _INT(s) is not None and s != "-0"


def _latin1(s):
    try:
        s.encode("latin-1")
        return True
    except UnicodeEncodeError:
        return False


def validate(v, max_nodes=MAX_NODES):
    """Raises Invalid unless `v` (parsed JSON) is a well-formed PyValue within the limits."""
    nodes = 0
    stack = [(v, 0)]
    while stack:
        x, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes or depth > MAX_DEPTH + 1:
            raise Invalid("value too large or too deep")
        if _type(x) is not dict:
            raise Invalid("value is not an object")
        t = x.get("t")
        if t in ("list", "tuple", "set"):
            items = x.get("v")
            if _len(x) != 2 or _type(items) is not list:
                raise Invalid("malformed " + t)
            stack.extend((e, depth + 1) for e in items)
        elif t == "dict":
            items = x.get("v")
            if _len(x) != 2 or _type(items) is not list:
                raise Invalid("malformed dict")
            for pair in items:
                if _type(pair) is not list or _len(pair) != 2:
                    raise Invalid("malformed dict entry")
                stack.append((pair[0], depth + 1))
                stack.append((pair[1], depth + 1))
        elif t == "digest":
            _validate_digest(x)
        elif t in _SCALAR_KEYS:
            if _len(x) != _len(_SCALAR_KEYS[t]) or any(k not in x for k in _SCALAR_KEYS[t]):
                raise Invalid("malformed " + t)
            _validate_scalar(t, x)
        else:
            raise Invalid("unknown value type")


def _validate_scalar(t, x):
    if t == "bool":
        ok = _type(x["v"]) is bool
    elif t == "int":
        ok = valid_int_text(x["v"])
    elif t == "float":
        ok = _number(x["v"]) or x["v"] in ("nan", "inf", "-inf")
    elif t == "str":
        ok = _type(x["v"]) is str
    elif t == "bytes":
        ok = _type(x["v"]) is str and _latin1(x["v"])
    elif t == "complex":
        ok = _number(x["re"]) and _number(x["im"])
    elif t == "unrepresentable":
        ok = _type(x["type"]) is str and _len(x["type"]) <= 100
    else:
        ok = True
    if not ok:
        raise Invalid("malformed " + t)


def _validate_digest(x):
    h, w, c, n, q = x.get("h"), x.get("w"), x.get("c"), x.get("n"), x.get("q")
    ok = (_type(h) is str and _HEX(h) is not None and _type(w) is int and 0 <= w
          and _type(c) is str and _len(c) <= 20 and _type(n) is int and 0 <= n
          and set(x) <= {"t", "h", "w", "c", "n", "q"})
    if ok and q is not None:
        ok = _type(q) is str and _len(q) <= 4 * (8 * MAX_PACKED + 2) // 3 + 4 and _len(q) == 4 * ((8 * n + 2) // 3) and _B64(q) is not None
    if not ok:
        raise Invalid("malformed digest")
