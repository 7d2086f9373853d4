"""A minimal Windows registry hive (regf) writer for tests: keys with REG_SZ values, in one hive bin.

Layout as Windows writes it: a 4096-byte base block, then hive bins of cells; a cell is an int32 size
(negative when allocated) and its payload. Offsets inside the hive are relative to the first bin.
Keys are ``nk`` cells with ASCII names, subkey lists are ``lh`` cells, values ``vk`` cells whose REG_SZ
data (UTF-16LE, NUL-terminated) sits in a cell of its own.
"""

from __future__ import annotations

import struct

BIN_HEADER = 32
NO_CELL = 0xFFFFFFFF


class _Bin:
    def __init__(self) -> None:
        self.buf = bytearray(BIN_HEADER)

    def alloc(self, payload: bytes) -> int:
        offset = len(self.buf)
        size = (4 + len(payload) + 7) & ~7
        self.buf += struct.pack("<i", -size) + payload + bytes(size - 4 - len(payload))
        return offset

    def patch(self, offset: int, payload: bytes) -> None:
        self.buf[offset + 4:offset + 4 + len(payload)] = payload


def _nk(name: str, parent: int, subkeys: int, subkey_list: int, values: int, value_list: int, root: bool) -> bytes:
    flags = 0x20 | (0x0C if root else 0)  # KEY_COMP_NAME, root: KEY_HIVE_ENTRY | KEY_NO_DELETE
    raw = name.encode("ascii")
    return b"nk" + struct.pack("<HQ4s13I4sHH", flags, 0, bytes(4), parent, subkeys, 0, subkey_list, NO_CELL,
                               values, value_list, NO_CELL, NO_CELL, 0, 0, 0, 0, bytes(4), len(raw), 0) + raw


def build_hive(keys: dict[str, dict[str, str]], file_name: str = "NTUSER.DAT") -> bytes:
    """``keys`` maps backslash paths below the root (``Software\\Microsoft\\...``) to their string values."""
    tree: dict[str, dict] = {}
    for path, values in keys.items():
        node = tree
        for part in path.split("\\"):
            node = node.setdefault(part, {})
        node["\0values"] = values
    hive = _Bin()

    def write(name: str, node: dict, parent: int, root: bool = False) -> int:
        children = {k: v for k, v in node.items() if k != "\0values"}
        values = node.get("\0values", {})
        own = hive.alloc(_nk(name, parent, 0, NO_CELL, 0, NO_CELL, root))  # patched below
        child_offsets = [write(k, v, own) for k, v in children.items()]
        sub_list = NO_CELL
        if child_offsets:
            sub_list = hive.alloc(b"lh" + struct.pack("<H", len(child_offsets))
                                  + b"".join(struct.pack("<II", off, 0) for off in child_offsets))
        value_list = NO_CELL
        if values:
            vks = []
            for vname, text in values.items():
                data = (text + "\0").encode("utf-16-le")
                data_cell = hive.alloc(data)
                raw = vname.encode("ascii")
                vks.append(hive.alloc(b"vk" + struct.pack("<HIIIHH", len(raw), len(data), data_cell, 1, 1, 0) + raw))
            value_list = hive.alloc(b"".join(struct.pack("<I", v) for v in vks))
        hive.patch(own, _nk(name, parent, len(child_offsets), sub_list, len(values), value_list, root))
        return own

    root = write("ROOT", tree, NO_CELL, root=True)
    assert root == BIN_HEADER, "the root key must be the first cell of the first bin"
    free = (-len(hive.buf)) % 4096 or 4096
    hive.buf += struct.pack("<i", free) + bytes(free - 4)  # the rest of the bin is one free cell
    bin_size = len(hive.buf)
    hive.buf[0:BIN_HEADER] = b"hbin" + struct.pack("<III I Q I", 0, bin_size, 0, 0, 0, 0)
    name = file_name.encode("utf-16-le")[:64].ljust(64, b"\0")
    base = bytearray(b"regf" + struct.pack("<IIQIIIIIII", 1, 1, 0, 1, 5, 0, 1, root, bin_size, 1) + name)
    base = base.ljust(508, b"\0")
    checksum = 0
    for (word,) in struct.iter_unpack("<I", bytes(base)):
        checksum ^= word
    base += struct.pack("<I", checksum)
    return bytes(base.ljust(4096, b"\0")) + bytes(hive.buf)
