"""The official OpenAI SDK against a running Seawall gateway (start one with `make demo`).

python examples/openai_client.py [http://127.0.0.1:8080/v1]
"""

from __future__ import annotations

import sys

import openai


def main(base_url: str) -> None:
    client = openai.OpenAI(base_url=base_url, api_key="unused-in-open-mode", max_retries=0)
    raw = client.chat.completions.with_raw_response.create(
        model="chat", messages=[{"role": "user", "content": "How do I export my data?"}]
    )
    print(raw.parse().choices[0].message.content)
    print("trace", raw.headers["x-seawall-trace-id"], "via", raw.headers.get("x-seawall-upstream"))

    print("streamed: ", end="")
    for chunk in client.chat.completions.create(
        model="chat", messages=[{"role": "user", "content": "Tell me about plans"}], stream=True
    ):
        if chunk.choices:
            print(chunk.choices[0].delta.content or "", end="", flush=True)
    print()

    try:
        client.chat.completions.create(
            model="no-such-model", messages=[{"role": "user", "content": "x"}]
        )
    except openai.NotFoundError as exc:
        print(f"typed error: {type(exc).__name__} code={exc.code}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080/v1")
