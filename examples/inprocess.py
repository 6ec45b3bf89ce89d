"""Call models through Seawall's pipeline inside a Python process (no gateway needed).

python examples/inprocess.py [examples/seawall.yaml]
"""

from __future__ import annotations

import asyncio
import sys

import seawall
from seawall.core.errors import SeawallError


async def main(config: str) -> None:
    async with seawall.Seawall.from_config(config, seed=1) as sw:
        for question in ["How do I reset my password?", "Can I pay yearly?", "Do you have an API?"]:
            try:
                result = await sw.chat(
                    model="support-chat", messages=[{"role": "user", "content": question}]
                )
            except SeawallError as exc:
                print(f"{question!r} failed: {exc.code}: {exc.message}")
                continue
            attempts = ", ".join(f"{a.target}:{a.status}" for a in result.record.attempts)
            print(
                f"{question!r}\n  -> {result.content}\n  trace {result.trace_id}  attempts [{attempts}]"
            )

        lead = await sw.chat(
            model="lead-extract",
            messages=[
                {
                    "role": "user",
                    "content": "Extract the lead: Ada Lovelace, ada@example.com, on the pro plan",
                }
            ],
        )
        print(f"lead: {lead.parsed} (validation: {lead.record.validation})")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "examples/seawall.yaml"))
