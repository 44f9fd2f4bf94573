"""A local mail catcher: every e-mail the portal sends lands in var/mail/ as an .eml file.

`make run` starts it; open the files with any mail client or read them as text.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class SaveToFolder:
    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        path = self.folder / f"{stamp}-{self.count:04d}.eml"
        path.write_bytes(envelope.content)
        message = message_from_bytes(envelope.content, policy=policy.default)
        print(f"Courriel pour {message['To']} : « {message['Subject']} » → {path}", flush=True)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--port", type=int, default=1025)
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(SaveToFolder(args.folder), hostname="127.0.0.1", port=args.port)
    controller.start()
    print(f"Boîte de réception locale : {args.folder} (SMTP 127.0.0.1:{args.port})", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()


if __name__ == "__main__":
    main()
