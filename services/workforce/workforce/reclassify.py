"""`python -m workforce.reclassify`: after a change of WORKFORCE_AUTHORISATION_CATEGORY, writes every
present employee's category again with the current settings, so the list filters and scheduling stop using the
old one (employees.use_cases.reclassify_employees: history and updated event for each change; safe to run twice)."""

from __future__ import annotations

import argparse
import sys

from .employees.use_cases import RECLASSIFY_BATCH, Reclassified, reclassify_employees


def summary(result: Reclassified) -> str:
    line = (
        f"{result.examined} salarié(s) présent(s) examiné(s), {result.changed} catégorie(s) de suivi "
        f"recalculée(s) et publiée(s)."
    )
    if result.never_reviewed:
        line += (
            f" {result.never_reviewed} salarié(s) sans déterminant jamais déclaré laissé(s) tel(s) quel(s) : "
            "voir « Contrôler la liste »."
        )
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workforce.reclassify", description=__doc__)
    parser.add_argument(
        "--batch-size",
        type=int,
        default=RECLASSIFY_BATCH,
        help=f"employees per transaction (default {RECLASSIFY_BATCH})",
    )
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    from .app import create_app  # settings are read (and checked) here, not at import

    app = create_app()
    try:
        with app.app_context():
            result = reclassify_employees(app.extensions["portal"], batch_size=args.batch_size)
    finally:
        app.extensions["portal"].db.dispose()
    print(summary(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
