#!/usr/bin/env python3
"""Wraps a squashfs image in a SIF file (format version 01) as its primary system
partition, per the SIF format's layout: a 128-byte header, 585-byte descriptors, objects
at 4096-byte boundaries.

    make_sif.py ROOTFS.sqfs OUT.sif
"""
import struct
import sys

DESCRIPTORS, DESCRIPTOR_LEN, TABLE_AT = 4, 585, 4096


def align(n):
    return (n + 4095) // 4096 * 4096


def main(sqfs_path, out_path):
    sqfs = open(sqfs_path, "rb").read()
    data_at = align(TABLE_AT + DESCRIPTORS * DESCRIPTOR_LEN)
    modified = 1600000000
    # Partition: squashfs (1), primary system (2), amd64 ("02").
    extra = struct.pack("<ii3s", 1, 2, b"02\0").ljust(384, b"\0")
    desc = struct.pack("<iBIIIqqqqqqq", 0x4004, 1, 1, 0xF0000001, 0,
                       data_at, len(sqfs), len(sqfs), modified, modified, 0, 0)
    desc += b"rootfs".ljust(128, b"\0") + extra
    table = desc.ljust(DESCRIPTORS * DESCRIPTOR_LEN, b"\0")
    header = b"#!/usr/bin/env run-singularity\n".ljust(32, b"\0")
    header += b"SIF_MAGIC\0" + b"01\0" + b"02\0" + bytes(range(16))
    header += struct.pack("<qqqqqqqq", modified, modified, DESCRIPTORS - 1, DESCRIPTORS,
                          TABLE_AT, len(table), data_at, len(sqfs))
    with open(out_path, "wb") as f:
        f.write(header.ljust(TABLE_AT, b"\0") + table)
        f.seek(data_at)
        f.write(sqfs)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
