"""Deploys the demo world on a fresh anvil: WETH9, Uniswap V2 (factory + Router02), two demo
ERC-20 tokens, funds for the demo address, and two pools with liquidity.

Same addresses on every run, because a contract's address is keccak(rlp(deployer, nonce)) and
both are fixed: the deployer is anvil's dev account 0 (from its fixed mnemonic) and the chain is
fresh, so the transactions below get nonces 0, 1, 2, ... in this order every time. Pair
addresses are CREATE2 from the factory and the token addresses, so they follow. deploy_demo
refuses a chain where the deployer has already sent a transaction, rather than deploying to
other addresses.

Synchronous on purpose: the wallet runs it in a background worker thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from chains.devnet.anvil import CHAIN_ID
from chains.devnet.artifacts import load_artifact
from chains.devnet.errors import DevnetDeployFailed
from chains.errors import NodeUnreachable
from chains.models import Frozen
from said import Said

if TYPE_CHECKING:
    from web3 import Web3
    from web3.contract import Contract

ETHER = 10**18


class TokenSpec(NamedTuple):
    symbol: str
    name: str
    decimals: int
    supply: int  # base units, minted to the deployer
    demo_amount: int  # base units sent to the demo address


DUSD = TokenSpec("DUSD", "Demo Dollar", 6, 1_000_000_000 * 10**6, 2_500 * 10**6)
DGLD = TokenSpec("DGLD", "Demo Gold", 18, 1_000_000 * 10**18, 40 * 10**18)
DEMO_TOKENS = (DUSD, DGLD)
DEMO_NATIVE_WEI = 12_500_000_000_000_000_000  # 12.5 ETH, set with anvil_setBalance

# Pool liquidity (base units), from the deployer. Prices: 1 ETH = 3,000 DUSD; 1 DGLD = 2,000 DUSD.
WETH_DUSD_LIQUIDITY = (100 * ETHER, 300_000 * 10**6)
DUSD_DGLD_LIQUIDITY = (200_000 * 10**6, 100 * 10**18)


class DemoToken(Frozen):
    symbol: str
    name: str
    decimals: int
    address: str
    demo_amount: int


class DemoPair(Frozen):
    name: str  # "WETH/DUSD": the symbols as the pool was created, not token0/token1 order
    address: str
    token0: str  # Uniswap's order: the lower address first
    token1: str


class DevnetDeployment(Frozen):
    rpc_url: str
    chain_id: int
    deployer: str
    demo_address: str
    demo_native_wei: int
    weth: str
    factory: str
    router: str
    init_code_hash: str  # keccak256 of UniswapV2Pair's creation code, 0x-prefixed
    tokens: tuple[DemoToken, ...]
    pairs: tuple[DemoPair, ...]
    block_number: int  # the block that holds the last deployment transaction

    def token(self, symbol: str) -> DemoToken:
        for tok in self.tokens:
            if tok.symbol == symbol:
                return tok
        raise KeyError(symbol)

    def pair(self, name: str) -> DemoPair:
        for p in self.pairs:
            if p.name == name:
                return p
        raise KeyError(name)


def init_code_hash() -> str:
    from eth_utils import keccak

    return "0x" + keccak(hexstr=load_artifact("UniswapV2Pair").bytecode).hex()


def pair_for(factory: str, token_a: str, token_b: str, code_hash: str) -> str:
    """The pair address as UniswapV2Library.pairFor computes it (CREATE2, sorted tokens)."""
    from eth_utils import keccak, to_bytes, to_canonical_address, to_checksum_address

    a, b = sorted((to_canonical_address(token_a), to_canonical_address(token_b)))
    salt = keccak(a + b)
    digest = keccak(b"\xff" + to_canonical_address(factory) + salt + to_bytes(hexstr=code_hash))
    return to_checksum_address(digest[12:])


def connect(rpc_url: str) -> Web3:
    """A web3 client for a loopback devnet (never through an environment proxy)."""
    import requests
    from web3 import HTTPProvider, Web3

    session = requests.Session()
    session.trust_env = False
    return Web3(HTTPProvider(rpc_url, session=session, request_kwargs={"timeout": 30}))


def deploy_demo(rpc_url: str, demo_address: str) -> DevnetDeployment:
    """Deploy the demo on the fresh anvil at rpc_url and fund demo_address."""
    import requests
    from web3.exceptions import Web3Exception

    try:
        return _Deployer(connect(rpc_url), rpc_url).run(demo_address)
    except requests.ConnectionError as exc:
        raise NodeUnreachable(rpc_url, str(exc)) from exc
    except (Web3Exception, requests.RequestException) as exc:
        raise DevnetDeployFailed(
            Said(
                "devnet.deploy.deploying_demo_failed",
                "Deploying the demo on {rpc_url} failed: {exc}",
                rpc_url=rpc_url,
                exc=exc,
            )
        ) from exc


class _Deployer:
    def __init__(self, w3: Web3, rpc_url: str) -> None:
        self.w3 = w3
        self.rpc_url = rpc_url
        self.block_number = 0

    def run(self, demo_address: str) -> DevnetDeployment:
        from web3.types import RPCEndpoint

        w3 = self.w3
        chain_id = w3.eth.chain_id
        if chain_id != CHAIN_ID:
            raise DevnetDeployFailed(
                Said(
                    "devnet.deploy.chain_not_devnet",
                    "{rpc_url} is chain {chain_id}, not the devnet ({expected})",
                    rpc_url=self.rpc_url,
                    chain_id=chain_id,
                    expected=CHAIN_ID,
                ),
                chain_id=chain_id,
            )
        if not w3.is_address(demo_address):
            raise DevnetDeployFailed(
                Said(
                    "devnet.deploy.not_ethereum_address",
                    "{demo_address!r} is not an Ethereum address",
                    demo_address=demo_address,
                )
            )
        demo = w3.to_checksum_address(demo_address)
        deployer = w3.eth.accounts[0]
        if demo == deployer:
            raise DevnetDeployFailed(
                Said(
                    "devnet.deploy.demo_address_must_not",
                    "the demo address must not be the devnet's deployer account",
                )
            )
        if w3.eth.get_transaction_count(deployer) != 0:
            raise DevnetDeployFailed(
                Said(
                    "devnet.deploy.deploy_demo_needs_fresh",
                    "deploy_demo needs a fresh devnet (the deployer has already "
                    "sent transactions); start a new anvil",
                ),
            )
        w3.eth.default_account = deployer

        weth = self.deploy("WETH9")
        factory = self.deploy("UniswapV2Factory", deployer)  # feeToSetter: protocol fee off
        router = self.deploy("UniswapV2Router02", factory.address, weth.address)
        tokens = {
            spec.symbol: self.deploy(
                "DemoToken", spec.name, spec.symbol, spec.decimals, spec.supply
            )
            for spec in DEMO_TOKENS
        }
        for spec in DEMO_TOKENS:
            token = tokens[spec.symbol].functions
            self.send(f"{spec.symbol}.transfer", token.transfer(demo, spec.demo_amount))
            self.send(f"{spec.symbol}.approve", token.approve(router.address, spec.supply))

        deadline = w3.eth.get_block("latest")["timestamp"] + 3600  # chain time, not wall clock
        eth_in, dusd_in = WETH_DUSD_LIQUIDITY
        dusd = tokens[DUSD.symbol].address
        dgld = tokens[DGLD.symbol].address
        self.send(
            "addLiquidityETH(DUSD)",
            router.functions.addLiquidityETH(dusd, dusd_in, dusd_in, eth_in, deployer, deadline),
            value=eth_in,
        )
        dusd_amount, dgld_amount = DUSD_DGLD_LIQUIDITY
        self.send(
            "addLiquidity(DUSD, DGLD)",
            router.functions.addLiquidity(
                dusd, dgld, dusd_amount, dgld_amount, dusd_amount, dgld_amount, deployer, deadline
            ),
        )
        # Not a transaction: no nonce is used, so it cannot move any address above.
        reply = w3.provider.make_request(
            RPCEndpoint("anvil_setBalance"), [demo, hex(DEMO_NATIVE_WEI)]
        )
        if "error" in reply:
            raise DevnetDeployFailed(
                Said(
                    "devnet.deploy.anvil_setbalance_failed",
                    "anvil_setBalance failed: {error}",
                    error=reply["error"],
                ),
                step="fund",
            )

        pairs = tuple(
            self.pair(factory, name, a, b)
            for name, a, b in (("WETH/DUSD", weth.address, dusd), ("DUSD/DGLD", dusd, dgld))
        )
        return DevnetDeployment(
            rpc_url=self.rpc_url,
            chain_id=chain_id,
            deployer=deployer,
            demo_address=demo,
            demo_native_wei=DEMO_NATIVE_WEI,
            weth=weth.address,
            factory=factory.address,
            router=router.address,
            init_code_hash=init_code_hash(),
            tokens=tuple(
                DemoToken(
                    symbol=s.symbol,
                    name=s.name,
                    decimals=s.decimals,
                    address=tokens[s.symbol].address,
                    demo_amount=s.demo_amount,
                )
                for s in DEMO_TOKENS
            ),
            pairs=pairs,
            block_number=self.block_number,
        )

    def deploy(self, name: str, *args: Any) -> Contract:
        art = load_artifact(name)
        factory = self.w3.eth.contract(abi=list(art.abi), bytecode=art.bytecode)
        receipt = self._mined(f"deploy {name}", factory.constructor(*args).transact())
        return self.w3.eth.contract(address=receipt["contractAddress"], abi=list(art.abi))

    def send(self, step: str, call: Any, value: int = 0) -> None:
        self._mined(step, call.transact({"value": value}))

    def _mined(self, step: str, tx_hash: Any) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.01)
        if receipt["status"] != 1:
            raise DevnetDeployFailed(
                Said(
                    "devnet.deploy.demo_deployment_step_reverted",
                    "demo deployment step '{step}' reverted",
                    step=step,
                ),
                step=step,
            )
        self.block_number = receipt["blockNumber"]
        return receipt

    def pair(self, factory: Contract, name: str, token_a: str, token_b: str) -> DemoPair:
        address = factory.functions.getPair(token_a, token_b).call()
        if int(address, 16) == 0:
            raise DevnetDeployFailed(
                Said(
                    "devnet.deploy.pool_was_not_created",
                    "the {name} pool was not created",
                    name=name,
                ),
                step=name,
            )
        token0, token1 = sorted((token_a, token_b), key=lambda a: int(a, 16))
        return DemoPair(name=name, address=address, token0=token0, token1=token1)
