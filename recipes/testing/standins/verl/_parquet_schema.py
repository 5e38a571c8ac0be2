"""TEST DOUBLE helper: the column tree of a parquet file, read from its footer (Thrift compact protocol)."""
import struct


class _Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def byte(self):
        b = self.data[self.pos]
        self.pos += 1
        return b

    def varint(self):
        shift = result = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if b < 0x80:
                return result
            shift += 7

    def zigzag(self):
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, t):
        if t in (1, 2):
            return t == 1
        if t == 3:
            return self.byte()
        if t in (4, 5, 6):
            return self.zigzag()
        if t == 7:
            self.pos += 8
            return struct.unpack("<d", self.data[self.pos - 8:self.pos])[0]
        if t == 8:
            n = self.varint()
            self.pos += n
            return self.data[self.pos - n:self.pos]
        if t in (9, 10):
            header = self.byte()
            size, elem = header >> 4, header & 0x0F
            if size == 15:
                size = self.varint()
            return [self.value(elem) if elem not in (1, 2) else self.byte() == 1 for _ in range(size)]
        if t == 11:
            size = self.varint()
            if size == 0:
                return {}
            kv = self.byte()
            return {self.value(kv >> 4): self.value(kv & 0x0F) for _ in range(size)}
        if t == 12:
            return self.struct()
        raise ValueError(f"thrift compact type {t}")

    def struct(self):
        fields, last = {}, 0
        while True:
            header = self.byte()
            if header == 0:
                return fields
            delta, t = header >> 4, header & 0x0F
            last = last + delta if delta else self.zigzag()
            fields[last] = self.value(t)


def column_tree(path):
    """{name: subtree or None} of the file's schema, e.g. {"prompt": {"list": {"element": {"role": None, ...}}}}."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"PAR1" or data[-4:] != b"PAR1":
        raise ValueError(f"{path}: not a parquet file")
    length = struct.unpack("<I", data[-8:-4])[0]
    meta = _Reader(data[-8 - length:-8]).struct()
    elements = [(e[4].decode("utf-8"), e.get(5, 0)) for e in meta[2]]
    pos = 0

    def build(count):
        nonlocal pos
        out = {}
        for _ in range(count):
            name, children = elements[pos]
            pos += 1
            out[name] = build(children) if children else None
        return out

    root_name, root_children = elements[0]
    pos = 1
    return build(root_children), meta.get(3, 0)
