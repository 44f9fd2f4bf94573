"""A self-hosted image captcha: distorted digits drawn with Pillow, the answer kept as an HMAC per browser."""
from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from datetime import timedelta

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from portal_common import clock
from portal_common.service import Portal

from .codes import presession_hash
from .models import CaptchaChallenge

LENGTH = 5
LIFETIME = timedelta(minutes=10)
WIDTH, HEIGHT = 220, 80


def new_answer() -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(LENGTH))


def _answer_hash(key: str, bound: str, answer: str) -> str:
    return hmac.new(key.encode(), f"captcha|{bound}|{answer}".encode(), hashlib.sha256).hexdigest()


def render(answer: str) -> bytes:
    """Each digit on its own tile, rotated and shifted, over noise lines and dots, then slightly warped."""
    rng = secrets.SystemRandom()
    image = Image.new("RGB", (WIDTH, HEIGHT), (246, 247, 249))
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        draw.line([(rng.randint(0, WIDTH), rng.randint(0, HEIGHT)) for _ in range(2)],
                  fill=tuple(rng.randint(120, 200) for _ in range(3)), width=rng.randint(1, 2))
    font = ImageFont.load_default(size=40)
    step = WIDTH // (len(answer) + 1)
    for index, digit in enumerate(answer):
        tile = Image.new("RGBA", (56, 64), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((12, 4), digit, font=font, fill=tuple(rng.randint(10, 90) for _ in range(3)))
        tile = tile.rotate(rng.uniform(-30, 30), resample=Image.BICUBIC, expand=False)
        image.paste(tile, (step // 2 + index * step + rng.randint(-5, 5), rng.randint(0, 16)), tile)
    for _ in range(300):
        draw.point((rng.randrange(WIDTH), rng.randrange(HEIGHT)), fill=tuple(rng.randint(80, 220) for _ in range(3)))
    image = image.transform(image.size, Image.AFFINE, (1, rng.uniform(-0.15, 0.15), 0, rng.uniform(-0.05, 0.05), 1, 0),
                            resample=Image.BICUBIC, fillcolor=(246, 247, 249)).filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def new_challenge(portal: Portal, presession: str) -> bytes:
    """A fresh image for this browser; it replaces any earlier one (only the latest answer counts)."""
    answer = new_answer()
    bound = presession_hash(presession)
    with portal.uow() as tx:
        row = tx.session.get(CaptchaChallenge, bound, with_for_update=True)
        if row is None:
            row = CaptchaChallenge(presession_hash=bound)
            tx.session.add(row)
        row.answer_hash = _answer_hash(portal.settings.internal_key, bound, answer)
        row.created_at = clock.utcnow()
        tx.commit()
    return render(answer)


def solve(portal: Portal, presession: str, answer: str) -> bool:
    """Single use: right or wrong, the challenge is gone and the next try needs a new image."""
    bound = presession_hash(presession)
    with portal.uow() as tx:
        row = tx.session.get(CaptchaChallenge, bound, with_for_update=True)
        if row is None:
            return False
        tx.session.delete(row)
        tx.commit()
        fresh = clock.utcnow() - row.created_at < LIFETIME
        expected = _answer_hash(portal.settings.internal_key, bound, answer.strip())
        return fresh and hmac.compare_digest(expected, row.answer_hash)
