"""Turn the raw bytes of one crawled file into text, or say exactly why that is impossible."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

# Frequent characters of these reports; a wrong decoding produces few of them.
_COMMON = set(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下"
    "过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两"
    "体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线"
    "内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并"
    "提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见"
    "计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府研质信息申请报告況國區"
)


@dataclass(frozen=True)
class Decoded:
    """The outcome of decoding one file: text and encoding, or the reason it failed."""

    text: str | None
    encoding: str | None
    error: str | None


def _score(text: str) -> float:
    """Share of CJK characters that are common ones: high for a right decoding."""
    cjk = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    if not cjk:
        return 0.0
    return sum(c in _COMMON for c in cjk) / len(cjk)


def _looks_utf16(data: bytes) -> str | None:
    """Name the UTF-16 byte order of BOM-less text whose NULs sit on one side of each pair."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    half = len(sample) / 2
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    # CJK-only UTF-16 has few NULs; accept it when it decodes cleanly to mostly CJK.
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = data[: len(data) // 2 * 2].decode(enc)
        except UnicodeDecodeError:
            continue
        if _score(text) > 0.3 and sum("\u4e00" <= c <= "\u9fff" for c in text) > len(text) / 3:
            return enc
    return None


# Bounds on what is read as one report: a real one is tens of kilobytes and a few thousand
# lines, its longest line (a table glued into one line by a crawler) a few kilobytes. Anything
# far beyond is not a report, and parsing it would only cost time and memory.
MAX_BYTES = 8 * 2**20
MAX_LINES = 100_000
MAX_LINE_CHARS = 200_000


def decode_bytes(data: bytes) -> Decoded:
    """Detect the encoding of a report (UTF-8 with or without BOM, UTF-16, GB18030/GBK, Big5,
    UTF-8 with GB18030 lines mixed in); refuse, with the reason, what is too large to be one."""
    if len(data) > MAX_BYTES:
        return Decoded(
            None,
            None,
            f"too large: {len(data) / 2**20:.1f} MiB, over the {MAX_BYTES // 2**20} MiB a "
            "report can have",
        )
    decoded = _decode(data)
    if decoded.text is None:
        return decoded
    lines = decoded.text.count("\n") + 1
    if lines > MAX_LINES:
        return Decoded(None, None, f"too many lines: {lines:,}, over the {MAX_LINES:,} limit")
    longest = max(map(len, decoded.text.splitlines()), default=0)
    if longest > MAX_LINE_CHARS:
        return Decoded(
            None,
            None,
            f"line too long: {longest:,} characters, over the {MAX_LINE_CHARS:,} limit",
        )
    return decoded


def _mixed(data: bytes) -> str | None:
    """UTF-8 text with some lines in GB18030 (pages pasted together from two sources)."""
    utf8 = other = 0
    parts = []
    for line in data.split(b"\n"):
        if line.isascii():
            parts.append(line.decode("ascii"))
            continue
        try:
            parts.append(line.decode("utf-8"))
            utf8 += 1
        except UnicodeDecodeError:
            try:
                text = line.decode("gb18030")
            except UnicodeDecodeError:
                return None
            if _score(text) < 0.2:
                return None
            parts.append(text)
            other += 1
    return "\n".join(parts) if utf8 and other else None


def _decode(data: bytes) -> Decoded:
    if not data.strip():
        return Decoded(None, None, "empty file")
    if data.startswith(codecs.BOM_UTF8):
        try:
            return Decoded(data[3:].decode("utf-8"), "utf-8-sig", None)
        except UnicodeDecodeError as exc:
            return Decoded(
                None, None, f"undecodable: UTF-8 BOM but invalid UTF-8 at byte {exc.start}"
            )
    for bom, enc in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return Decoded(data[2:].decode(enc), enc + "-bom", None)
            except UnicodeDecodeError as exc:
                return Decoded(
                    None, None, f"undecodable: {enc} BOM but invalid at byte {exc.start}"
                )
    if data.startswith(b"%PDF"):
        return Decoded(None, None, "binary: a PDF document, not extracted text")
    nul = b"\x00" in data
    if not nul:
        # Most files: UTF-8, decided before the costlier UTF-16 test of text without NULs
        # (CJK-only UTF-16 of more than a few characters is not valid UTF-8 as well).
        try:
            return Decoded(data.decode("utf-8"), "utf-8", None)
        except UnicodeDecodeError:
            pass
    utf16 = _looks_utf16(data)
    if utf16:
        try:
            return Decoded(data.decode(utf16), utf16, None)
        except UnicodeDecodeError:
            pass
    if nul:
        return Decoded(None, None, "binary: contains NUL bytes")
    mixed = _mixed(data)
    if mixed is not None:
        return Decoded(mixed, "utf-8+gb18030", None)
    candidates = []
    for enc in ("gb18030", "big5"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        candidates.append((_score(text), enc, text))
    if candidates:
        score, enc, text = max(candidates)
        if score > 0.2:
            return Decoded(text, enc, None)
    return Decoded(None, None, "undecodable: not UTF-8, UTF-16, GB18030 or Big5 text")
