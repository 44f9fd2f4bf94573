"""The naive baseline of bench/run.py: the least a gateway-checked database read can be.

`/auth` answers 204 when the cookie `s` holds a constant (nginx `auth_request` calls it), `/item`
reads one row by primary key from PostgreSQL. Run under gunicorn as `naive_app:app` with
NAIVE_DATABASE_URL (a `postgresql+psycopg://` URL of an existing database) and NAIVE_SESSION (the
constant) set; bench/run.py does both.
"""

from __future__ import annotations

import os

from flask import Flask, Response, jsonify, request
from sqlalchemy import Integer, String, create_engine, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SESSION_COOKIE = "s"
SESSION_VALUE = os.environ["NAIVE_SESSION"]


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


# Same pool settings as the portal's services (portal_common.db.build_engine), so only the code differs.
engine = create_engine(
    os.environ["NAIVE_DATABASE_URL"], pool_size=5, max_overflow=10
)  # as portal_common.db: no ping per checkout
Base.metadata.create_all(engine)
with engine.begin() as conn:
    if conn.execute(select(Item.id).where(Item.id == 1)).first() is None:
        conn.execute(insert(Item).values(id=1, name="Boulangerie Martin"))

app = Flask(__name__)


@app.get("/auth")
def auth() -> Response | tuple[str, int]:
    # Only 2xx/401/403 are valid auth_request answers (anything else becomes a 500 at nginx).
    return ("", 204) if request.cookies.get(SESSION_COOKIE) == SESSION_VALUE else ("", 401)


@app.get("/item")
def item() -> Response | tuple[str, int]:
    with engine.connect() as conn:
        row = conn.execute(select(Item.id, Item.name).where(Item.id == 1)).first()
    if row is None:
        return "", 404
    return jsonify(id=row.id, name=row.name)
