"""Before signing on an EVM network with more than one RPC URL configured: every node is asked
for its chain id and latest block, and they must agree (the chain id exactly, the block within
a few blocks: nodes a moment apart differ by one or two). A node that lies about the chain or
serves a stale or forked view then shows against an independent one, and nothing is signed.

With a single URL there is nothing to compare: the review names that one node, so the user
can see whose word the figures are.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence

from chains.errors import ChainError, NodeUnreachable
from chains.evm import EvmBackend
from chains.models import Network

# Blocks two honest nodes may be apart: Ethereum makes one every 12 s and nodes hear of it
# within a second or two, so 3 already allows for a node that is a block or two behind. A
# larger gap is a stale or lying node (or, on an L2 with fast blocks, one to check anyway).
BLOCK_TOLERANCE = 3
TIMEOUT = 5.0


class NodesDisagree(ChainError):
    """Two configured nodes of one network answered differently: one of them is wrong."""

    code = "NODES_DISAGREE"

    def __init__(self, what: str, answers: dict[str, int | str]) -> None:
        said = "; ".join(f"{url}: {v}" for url, v in answers.items())
        super().__init__(
            f"the RPC URLs of this network disagree about the {what} ({said}). One of them "
            "is stale, broken or lying: nothing was signed. Check them, or remove the wrong "
            "one from rpc_urls in settings.",
            what=what,
            nodes=", ".join(answers),
        )
        # One code per disagreement: the app's sentence names it in the user's language.
        self.code = "NODES_DISAGREE_CHAIN" if what == "chain" else "NODES_DISAGREE_BLOCK"


@dataclasses.dataclass(frozen=True)
class NodeAgreement:
    used: str  # the URL the wallet reads from and broadcasts to
    agreed: tuple[str, ...]  # every URL that answered and agreed (used included)
    unreachable: tuple[str, ...] = ()

    @property
    def nodes(self) -> tuple[str, ...]:
        return self.agreed or (self.used,)


def node_label(url: str) -> str:
    """How a review names a node: scheme, host and port. The path, query and user part are
    left out: providers put API keys there (https://mainnet.infura.io/v3/<key>), and a review
    is read over shoulders and captured in screenshots."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if not parts.hostname:
        return "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


async def _ask(network: Network, url: str) -> int | ChainError:
    """The latest block of one node, its chain id checked by EvmBackend on first use."""
    one = EvmBackend(network.model_copy(update={"rpc_urls": (url,)}), timeout=TIMEOUT)
    try:
        return await one.block_number()
    except ChainError as exc:
        return exc
    finally:
        await one.aclose()


async def check_nodes(
    backend: EvmBackend, *, tolerance: int = BLOCK_TOLERANCE, urls: Sequence[str] | None = None
) -> NodeAgreement:
    """Raises NodesDisagree when a configured node is of another chain or its latest block is
    more than `tolerance` from the others'. A node that cannot be reached is listed as such
    (the rest are still compared); a single URL is not compared with anything."""
    network = backend.network
    urls = list(urls if urls is not None else network.rpc_urls)
    if len(urls) < 2:
        return NodeAgreement(used=backend.url, agreed=(backend.url,))
    answers = await asyncio.gather(*(_ask(network, u) for u in urls))
    blocks: dict[str, int] = {}
    unreachable: list[str] = []
    wrong: dict[str, int | str] = {}
    for url, answer in zip(urls, answers, strict=True):
        if isinstance(answer, NodeUnreachable):
            unreachable.append(url)
        elif isinstance(answer, ChainError):
            got = answer.details.get("got")
            wrong[url] = f"chain id {got}" if got is not None else str(answer)[:80]
        else:
            blocks[url] = answer
    if wrong:
        expected = f"chain id {network.evm_chain_id}"
        raise NodesDisagree("chain", {**{u: expected for u in blocks}, **wrong})
    if blocks and max(blocks.values()) - min(blocks.values()) > tolerance:
        raise NodesDisagree("latest block", dict(blocks))
    if not blocks:
        raise NodeUnreachable(", ".join(unreachable), "none of the configured nodes answered")
    return NodeAgreement(used=backend.url, agreed=tuple(blocks), unreachable=tuple(unreachable))
