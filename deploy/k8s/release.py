"""Set the release of the Kubernetes manifests: every portal image tag and every migrations Job name.

    python deploy/k8s/release.py 1.1.0

A Job's pod template is immutable, so `kubectl apply` of a changed Job fails while the old one exists. Each
release therefore names its own migrations Jobs (`identity-migrate-1-1-0`): applying the same release twice
leaves its finished Jobs alone, a new release runs its migrations once, and `ttlSecondsAfterFinished` removes
the old ones. Image tags and Job names change together here so they cannot drift apart
(tests/contract/test_kubernetes_manifests.py checks they agree).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
IMAGE = re.compile(r"(image: registry\.example\.org/member-portal/[a-z]+):[\w.-]+")
JOB_NAME = re.compile(r"^(  name: [a-z]+-migrate)-[\w-]+$", re.MULTILINE)
VERSION = re.compile(r"^\d+\.\d+\.\d+(?:-[0-9a-z.]+)?$")


def job_suffix(version: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", version.lower())


def set_release(version: str, directory: Path = HERE) -> list[Path]:
    if not VERSION.match(version):
        raise ValueError(f"not a release version: {version!r} (expected 1.2.3 or 1.2.3-rc.1)")
    changed = []
    for manifest in sorted(directory.glob("*.yaml")):
        text = manifest.read_text("utf-8")
        updated = IMAGE.sub(rf"\1:{version}", text)
        updated = JOB_NAME.sub(rf"\1-{job_suffix(version)}", updated)
        if updated != text:
            manifest.write_text(updated, "utf-8")
            changed.append(manifest)
    return changed


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python deploy/k8s/release.py <version>")
    for path in set_release(sys.argv[1]):
        print(f"updated {path.name}")
