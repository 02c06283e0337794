"""Pathological PDFs built on the fly: the worst a resume upload can do to the extractor."""
from __future__ import annotations

import zlib

MB = 1 << 20


def pdf_with_content(content_chunk: bytes, size: int) -> bytes:
    """A one-page PDF whose Flate-compressed content stream inflates to ``size`` bytes."""
    comp = zlib.compressobj(1)
    block = content_chunk * max(1, MB // len(content_chunk))
    body = b"".join(comp.compress(block) for _ in range(max(1, size // len(block))))
    body += comp.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref
    )
    return bytes(out)


def flate_bomb(size: int = 400 * MB) -> bytes:
    """Inflates to ``size`` bytes of blanks: costs memory, not time."""
    return pdf_with_content(b" " * 64, size)


def operator_storm(size: int = 40 * MB) -> bytes:
    """Millions of drawing operators: cheap in memory, minutes of parsing."""
    return pdf_with_content(b"0 0 m 1 1 l S\n", size)
