"""Firewall for the real node: pod traffic stays on the machine; cleanup of every chain.

Fed by ``node.py`` (the pod subnet); feeds the host's iptables with two chains, jumped
to first from FORWARD and OUTPUT: nothing from the pod subnet is forwarded anywhere but
the pod subnet, and no Service-translated (DNAT) packet goes anywhere but a pod or
loopback (kwok pods have made-up addresses that would route to the outside). ``cleanup``
removes ours and every ``KUBE-*`` chain the kubelet and kube-proxy leave behind.
"""

from __future__ import annotations

import subprocess

FORWARD_CHAIN = "STOREPLANE-NODE-FWD"
OUTPUT_CHAIN = "STOREPLANE-NODE-OUT"
TABLES = ("filter", "nat", "mangle", "raw")
OUR_PREFIXES = ("KUBE-", "STOREPLANE-NODE-")


class NetGuardError(RuntimeError):
    """An iptables command failed."""


def _ipt(*args: str, tool: str = "iptables", check: bool = True) -> str:
    result = subprocess.run([tool, "-w", "5", *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise NetGuardError(f"{tool} {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def guard_rules(subnet: str) -> dict[str, list[list[str]]]:
    """The rules of our two chains, in order. Addresses, not interfaces: locally sent
    packets that a Service rule translated do not show their final interface here."""
    return {
        FORWARD_CHAIN: [
            ["-s", subnet, "-d", subnet, "-j", "RETURN"],
            ["-s", subnet, "-j", "DROP"],
            ["-m", "conntrack", "--ctstate", "DNAT", "!", "--ctreplsrc", subnet, "-j", "DROP"],
        ],
        OUTPUT_CHAIN: [
            ["-m", "conntrack", "--ctstate", "DNAT", "--ctreplsrc", subnet, "-j", "RETURN"],
            ["-m", "conntrack", "--ctstate", "DNAT", "--ctreplsrc", "127.0.0.0/8", "-j", "RETURN"],
            ["-m", "conntrack", "--ctstate", "DNAT", "-j", "REJECT"],
        ],
    }


def install(subnet: str) -> None:
    """Create (or refill) our chains and make their jumps the first rules."""
    for chain, rules in guard_rules(subnet).items():
        if _ipt("-n", "-L", chain, check=False) == "":
            _ipt("-N", chain)
        _ipt("-F", chain)
        for rule in rules:
            _ipt("-A", chain, *rule)
    ensure_first()


def ensure_first() -> None:
    """Put our jumps back at position 1 (kube-proxy prepends its own at start-up)."""
    for parent, chain in (("FORWARD", FORWARD_CHAIN), ("OUTPUT", OUTPUT_CHAIN)):
        if first_rule(parent) == f"-A {parent} -j {chain}":
            continue
        while _check(parent, chain):
            _ipt("-D", parent, "-j", chain)
        _ipt("-I", parent, "1", "-j", chain)


def _check(parent: str, chain: str) -> bool:
    result = subprocess.run(["iptables", "-w", "5", "-C", parent, "-j", chain], capture_output=True)
    return result.returncode == 0


# Jumps kube-proxy (and the kubelet) prepend at start-up; ours go back in front of them.
KUBE_JUMPS = {"FORWARD": ("KUBE-FORWARD", "KUBE-SERVICES"), "OUTPUT": ("KUBE-SERVICES", "KUBE-FIREWALL")}


def kube_jumps_present() -> bool:
    """Whether kube-proxy and the kubelet have put their jumps into FORWARD and OUTPUT."""
    for parent, chains in KUBE_JUMPS.items():
        rules = _ipt("-S", parent)
        if not all(f"-j {chain}" in rules for chain in chains):
            return False
    return True


def first_rule(parent: str) -> str:
    """The first rule of a built-in filter chain, as ``iptables -S`` prints it."""
    rules = [r for r in _ipt("-S", parent).splitlines() if r.startswith("-A ")]
    return rules[0] if rules else ""


def _cleanup_tool(tool: str) -> list[str]:
    removed = []
    save = f"{tool}-save"
    for table in TABLES:
        dump = subprocess.run([save, "-t", table], capture_output=True, text=True, check=False).stdout
        ours = [
            line[1:].split()[0]
            for line in dump.splitlines()
            if line.startswith(":") and line[1:].startswith(OUR_PREFIXES)
        ]
        if not ours:
            continue
        for line in dump.splitlines():
            if line.startswith("-A ") and any(f"-j {c}" in line or f"-g {c}" in line for c in ours):
                parts = line.split()
                if parts[1] not in ours:
                    subprocess.run([tool, "-w", "5", "-t", table, "-D", *parts[1:]], check=False)
        for chain in ours:
            subprocess.run([tool, "-w", "5", "-t", table, "-F", chain], check=False)
        for chain in ours:
            subprocess.run([tool, "-w", "5", "-t", table, "-X", chain], check=False)
            removed.append(f"{tool}/{table}/{chain}")
    return removed


def cleanup() -> list[str]:
    """Delete our chains and every KUBE-* chain (and the jumps to them), IPv4 and IPv6."""
    return [*_cleanup_tool("iptables"), *_cleanup_tool("ip6tables")]


def snapshot() -> list[str]:
    """What every table holds that affects traffic, without counters, for before/after
    comparisons: each rule, each user chain, each built-in chain whose policy is not ACCEPT.

    A table that holds none of these is left out, like a table that does not exist: iptables-nft
    creates a table (its nf_tables table with the built-in chains, ACCEPT) the first time any
    command names it, here kube-proxy's and kubelet's IPv6 ones, and deleting its rules and chains
    leaves it so, empty. On a machine where the node started first, ``ip6tables-save`` lists
    `*filter`, `*nat` and `*mangle` afterwards with nothing in them, and that is no rule left behind.
    """
    lines = []
    for tool in ("iptables-save", "ip6tables-save"):
        dump = subprocess.run([tool], capture_output=True, text=True, check=False).stdout
        lines.extend(traffic_lines(tool, dump))
    return lines


def traffic_lines(tool: str, dump: str) -> list[str]:
    """`snapshot`'s lines of one ``*tables-save`` dump, each named by tool and table."""
    lines = []
    table = ""
    for line in dump.splitlines():
        if line.startswith("*"):
            table = line[1:]
        elif line.startswith(":"):
            chain, policy = line[1:].split()[:2]
            if policy != "ACCEPT":  # "-" for a user chain
                lines.append(f"{tool} {table}: :{chain} {policy}")
        elif line.startswith("-"):
            lines.append(f"{tool} {table}: {line}")
    return lines
