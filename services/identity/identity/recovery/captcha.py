"""A self-hosted image captcha: distorted digits drawn with Pillow.

Showing an image writes nothing on the server (docs/security.md CSRF-01: a GET changes nothing): the answer's HMAC,
a nonce and the time travel in a signed cookie bound to the browser's pre-session. Only the form's POST writes:
it spends the nonce, right answer or wrong, so each image is worth one try and a token never serves twice.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from datetime import UTC, datetime, timedelta

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ..codes.rules import presession_hash

LENGTH = 5
LIFETIME = timedelta(minutes=10)
WIDTH, HEIGHT = 220, 80


def new_answer() -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(LENGTH))


COOKIE = "portal_captcha"
# Under TLS every cookie of the portal is host-only, Secure and path=/ (the `__Host-` prefix enforces it).
SECURE_COOKIE = "__Host-portal_captcha"
# A token issued "in the future" by a process whose clock runs ahead is still accepted within this skew.
CLOCK_SKEW = timedelta(seconds=30)


def _mac(key: str, *parts: str) -> str:
    return hmac.new(key.encode(), "|".join(parts).encode(), hashlib.sha256).hexdigest()


def render(answer: str) -> bytes:
    """Each digit on its own tile, rotated and shifted, over noise lines and dots, then slightly warped."""
    rng = secrets.SystemRandom()
    image = Image.new("RGB", (WIDTH, HEIGHT), (246, 247, 249))
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        draw.line(
            [(rng.randint(0, WIDTH), rng.randint(0, HEIGHT)) for _ in range(2)],
            fill=tuple(rng.randint(120, 200) for _ in range(3)),
            width=rng.randint(1, 2),
        )
    font = ImageFont.load_default(size=40)
    step = WIDTH // (len(answer) + 1)
    for index, digit in enumerate(answer):
        tile = Image.new("RGBA", (56, 64), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((12, 4), digit, font=font, fill=tuple(rng.randint(10, 90) for _ in range(3)))
        tile = tile.rotate(rng.uniform(-30, 30), resample=Image.BICUBIC, expand=False)
        image.paste(tile, (step // 2 + index * step + rng.randint(-5, 5), rng.randint(0, 16)), tile)
    for _ in range(300):
        draw.point((rng.randrange(WIDTH), rng.randrange(HEIGHT)), fill=tuple(rng.randint(80, 220) for _ in range(3)))
    image = image.transform(
        image.size,
        Image.AFFINE,
        (1, rng.uniform(-0.15, 0.15), 0, rng.uniform(-0.05, 0.05), 1, 0),
        resample=Image.BICUBIC,
        fillcolor=(246, 247, 249),
    ).filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def issue(key: str, presession: str, now: datetime) -> tuple[str, str]:
    """A new answer and the token carrying its HMAC: `issued.nonce.answer_mac.signature`.

    The signature covers everything but the answer, so a POST can tell a genuine token (whose nonce it then
    records) from a forged one (refused without writing) before knowing whether the answer is right.
    """
    answer = new_answer()
    bound = presession_hash(presession)
    issued, nonce = str(int(now.timestamp())), secrets.token_hex(16)
    answer_mac = _mac(key, "captcha-answer", bound, nonce, answer)
    return answer, ".".join((issued, nonce, answer_mac, _mac(key, "captcha-token", bound, issued, nonce, answer_mac)))


def genuine(key: str, presession: str, token: str, now: datetime) -> tuple[str, str, datetime] | None:
    """(nonce, answer_mac, expiry) of a token this server issued to this browser and still fresh, else None."""
    parts = token.split(".")
    if len(parts) != 4 or not parts[0].isdigit():
        return None
    issued, nonce, answer_mac, signature = parts
    bound = presession_hash(presession)
    if not hmac.compare_digest(_mac(key, "captcha-token", bound, issued, nonce, answer_mac), signature):
        return None
    issued_at = datetime.fromtimestamp(int(issued), UTC)
    if not issued_at - CLOCK_SKEW <= now < issued_at + LIFETIME:
        return None
    return nonce, answer_mac, issued_at + LIFETIME


def new_challenge(key: str, presession: str, now: datetime) -> tuple[bytes, str]:
    """A fresh image and its token for the cookie; nothing is stored (a new image replaces the earlier one)."""
    answer, token = issue(key, presession, now)
    return render(answer), token


def answer_matches(key: str, presession: str, nonce: str, answer_mac: str, answer: str) -> bool:
    expected = _mac(key, "captcha-answer", presession_hash(presession), nonce, answer.strip())
    return hmac.compare_digest(expected, answer_mac)
