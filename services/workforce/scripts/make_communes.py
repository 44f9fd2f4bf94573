"""Writes `workforce/data/communes.csv.gz`, the INSEE commune list behind the birthplace field (suggestions, names
and codes, postal codes told apart from INSEE codes).

Source: the npm package `@etalab/decoupage-administratif` (Etalab; data under the Licence Ouverte / Open Licence
Etalab 2.0: INSEE's Code officiel géographique and La Poste's postal codes), version pinned below. Run by hand
when a new version is wanted (never by the tests or the install), from the repository root:

    python services/workforce/scripts/make_communes.py

It runs `npm pack` into a temporary directory, reads `data/communes.json` and keeps the current communes (type
« commune-actuelle ») and the arrondissements municipaux of Paris, Lyon and Marseille. One line per commune:
`code;name;postal codes;former codes;population` (lists separated by spaces). The former codes (`anciensCodes`)
are those of communes merged since, which NIRs of people born there still carry; the population orders the
suggestions (Mulhouse before Mulcey for « mul »).
"""

from __future__ import annotations

import gzip
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "@etalab/decoupage-administratif"
VERSION = "6.0.0"
KEPT_TYPES = ("commune-actuelle", "arrondissement-municipal")
TARGET = Path(__file__).resolve().parents[1] / "workforce" / "data" / "communes.csv.gz"
HEADER = (
    f"# Communes (INSEE COG) and their postal codes (La Poste), from {PACKAGE}@{VERSION} (Etalab), "
    "Licence Ouverte / Open Licence Etalab 2.0; written by services/workforce/scripts/make_communes.py\n"
    "code;name;postal_codes;former_codes;population\n"
)


def communes_json(workdir: Path) -> list[dict]:
    subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}"], cwd=workdir, check=True, capture_output=True)
    archive = next(workdir.glob("*.tgz"))
    with tarfile.open(archive) as tar:
        member = tar.extractfile("package/data/communes.json")
        assert member is not None
        return json.load(member)


def lines(communes: list[dict]) -> list[str]:
    kept = sorted((c for c in communes if c["type"] in KEPT_TYPES), key=lambda c: c["code"])
    out = []
    for c in kept:
        name = c["nom"].replace(";", ",")
        postal = " ".join(sorted(set(c.get("codesPostaux", []))))
        former = " ".join(sorted(set(c.get("anciensCodes", []))))
        out.append(f"{c['code']};{name};{postal};{former};{c.get('population') or 0}\n")
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        body = lines(communes_json(Path(tmp)))
    # mtime=0: the same source gives the same bytes, so a run without change leaves git nothing to commit.
    with open(TARGET, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as out:
        out.write((HEADER + "".join(body)).encode("utf-8"))
    print(f"{len(body)} communes written to {TARGET}")


if __name__ == "__main__":
    main()
