"""Reads engage's binary columnar shards (Sources/Dataset/ShardCodec.swift, version 1), so the bench
can check which rows an engage run put in which shard.

Layout (little-endian): "ENGS", UInt16 version, UInt64 rows, UInt32 columns; per column UInt32
name length + UTF-8 name, UInt8 tag (0 numeric: rows × Float64; 1 categorical: UInt32 level
count, each level as UInt32 length + UTF-8, then rows × Int32 codes); a CRC-32 of all before it.
"""
import hashlib
import os
import struct
import zlib

import numpy as np

MAGIC = b"ENGS"


def read_columns(path, wanted):
    """{name: numpy array} for the numeric columns in `wanted` that the shard has (categorical
    ones as their level strings); None when the file is not a version-1 shard."""
    with open(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 22 or raw[:4] != MAGIC or struct.unpack_from("<H", raw, 4)[0] != 1:
        return None
    if zlib.crc32(raw[:-4]) != struct.unpack_from("<I", raw, len(raw) - 4)[0]:
        raise ValueError(f"{path}: shard checksum mismatch")
    rows, count = struct.unpack_from("<QI", raw, 6)
    offset, out = 18, {}
    for _ in range(count):
        (length,) = struct.unpack_from("<I", raw, offset)
        name = raw[offset + 4:offset + 4 + length].decode()
        offset += 4 + length
        tag = raw[offset]
        offset += 1
        if tag == 0:
            if name in wanted:
                out[name] = np.frombuffer(raw, dtype="<f8", count=rows, offset=offset).copy()
            offset += 8 * rows
        else:
            (levels_count,) = struct.unpack_from("<I", raw, offset)
            offset += 4
            levels = []
            for _ in range(levels_count):
                (level_length,) = struct.unpack_from("<I", raw, offset)
                levels.append(raw[offset + 4:offset + 4 + level_length].decode())
                offset += 4 + level_length
            if name in wanted:
                codes = np.frombuffer(raw, dtype="<i4", count=rows, offset=offset)
                out[name] = np.array([levels[c] if c >= 0 else None for c in codes], dtype=object)
            offset += 4 * rows
    return out


def customer_shards(directory, id_column, required):
    """Every distinct shard under `directory` (recursively: the store and the workers' caches hold
    copies; a shard is its bytes' SHA-256) that has `id_column` and all of `required`: a list of
    {id column values} arrays, one per shard."""
    found, seen = [], set()
    for root, _, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
                if digest in seen:
                    continue
                seen.add(digest)
                columns = read_columns(path, {id_column, *required})
            except (OSError, ValueError, struct.error):
                continue
            if columns is not None and id_column in columns and all(r in columns for r in required):
                found.append(columns[id_column])
    return found
