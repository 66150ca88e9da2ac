"""Bitstring Status List v1.0 encoding (docs/rules/credentials.md#vc5): the list is a bitstring, index 0 the first
(most significant) bit of the first byte, GZIP-compressed and written as multibase base64url ('u…')."""
import gzip

from .multibase import decode_u, encode_u

MIN_BITS = 131_072      # 16 KB: the specification's minimum, so one credential's index hides among many


def empty(bits: int = MIN_BITS) -> str:
    return encode(bytes(bits // 8))


def encode(raw: bytes) -> str:
    # mtime=0: the same bits give the same text (and the same stored credential).
    return encode_u(gzip.compress(raw, compresslevel=6, mtime=0))


def decode(encoded: str) -> bytes:
    return gzip.decompress(decode_u(encoded))


def is_set(raw: bytes, index: int) -> bool:
    return bool(raw[index // 8] & (0x80 >> (index % 8)))


def set_bits(encoded: str, indexes, size: int) -> str:
    """The list with these bits set, grown (with zeros) to `size` bits when it is shorter."""
    raw = bytearray(decode(encoded))
    if len(raw) * 8 < size:
        raw.extend(bytes(size // 8 - len(raw)))
    for index in indexes:
        raw[index // 8] |= 0x80 >> (index % 8)
    return encode(bytes(raw))


def grown(encoded: str, size: int) -> str:
    return set_bits(encoded, (), size)
