"""Formatting of integer fen for people. Never floats."""

DIGITS = "零壹贰叁肆伍陆柒捌玖"


def yuan(fen: int | None) -> str:
    """12345678 -> '123,456.78'"""
    if fen is None:
        return "—"
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def capital(fen: int) -> str:
    """Chinese capital numerals (大写) for an amount in fen: 330925000 -> '叁佰叁拾万玖仟贰佰伍拾元整'."""
    fen = int(fen)
    if fen < 0:
        return "负" + capital(-fen)
    if fen == 0:
        return "零元整"
    yuan_part, cents = divmod(fen, 100)
    jiao, fen_digit = divmod(cents, 10)

    def four(n: int) -> str:
        units = ["", "拾", "佰", "仟"]
        out, zero = "", False
        for i in range(3, -1, -1):
            d = (n // 10**i) % 10
            if d == 0:
                zero = bool(out)
            else:
                if zero:
                    out += "零"
                    zero = False
                out += DIGITS[d] + units[i]
        return out

    text = ""
    if yuan_part:
        groups = []
        n = yuan_part
        while n:
            groups.append(n % 10000)
            n //= 10000
        big = ["", "万", "亿", "万亿"]
        parts = []
        need_zero = False
        for idx in range(len(groups) - 1, -1, -1):
            g = groups[idx]
            if g == 0:
                need_zero = bool(parts)
                continue
            if parts and (need_zero or g < 1000):
                parts.append("零")
            parts.append(four(g) + big[idx])
            need_zero = False
        text = "".join(parts) + "元"
    if jiao == 0 and fen_digit == 0:
        return text + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan_part:
        text += "零"
    if fen_digit:
        text += DIGITS[fen_digit] + "分"
    return text
