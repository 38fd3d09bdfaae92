"""IP addresses that lead somewhere: public IPv4 and global IPv6.

"мой сервер 185.23.44.12", "ssh root@146.185.12.9", "прокси 91.108.4.17:8080", "ipv6 сервера
2a00:1450:4010:c05::65". Left alone: private, loopback, link-local and shared networks
("192.168.1.1", "10.0.0.5", "127.0.0.1"), documentation and multicast ranges, netmasks, the
public resolvers everyone types ("8.8.8.8", "1.1.1.1", "77.88.8.8"), and version, build and
clause numbers: after a product or version word ("Firefox 115.0.2.1", "пункты 4.2.1.3"), or
four small numbers with no network word near ("обнови до 1.3.12.7").
"""

from __future__ import annotations

import ipaddress
import re

from clonebot.pii._candidate import Cand

_V4 = re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)")
_V6 = re.compile(r"(?<![\w:.])[23][0-9a-fA-F]{3}:(?:[0-9a-fA-F]{0,4}:){1,6}[0-9a-fA-F]{0,4}(?![\w:])")
_PUBLIC_RESOLVERS = frozenset((
    "8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112", "77.88.8.8", "77.88.8.1",
    "77.88.8.88", "208.67.222.222", "208.67.220.220", "4.2.2.2", "94.140.14.14", "94.140.15.15"))
# a version, build or clause word right before ("build 10.2.0.31", "пункт 4.2.1.3"), or a product's or
# version's word within two words ("Firefox 115.0.2.1", "прошивка роутера 4.18.3.2")
_VERSION_BEFORE = re.compile(
    r"(?<![\w])(?:(?:ver\.?|build|сборк\w*|release|релиз\w*|пункт\w*|п\.|глав\w*|раздел\w*|section|chapter|clause|"
    r"стать\w*|§|табл\w*|рис\w*|fig\.?|гост|iso)"
    r"|(?:верси\w*|version|прошивк\w*|firmware|драйвер\w*|driver|chrome|firefox|edge|safari|opera|windows|android|"
    r"ios|macos|python|node|java)(?:[\s:=,]+[^\s\d]{1,15}){0,2})[\s:=]*$", re.I)
_NETWORK_WORD = re.compile(
    r"\bip\b|айпи\w*|адрес\w*|address|сервер\w*|server|host|хост\w*|ssh|ping|пинг\w*|vps|впс|прокси|proxy|"
    r"dns|шлюз|gateway|роутер\w*|router|внешн\w*|белый|public|порт|port|nginx|firewall|whitelist|вайтлист|@", re.I)
_SMALL = 30  # "2.4.1.12": version parts are small
_PORT = re.compile(r"(?::\d{1,5}|/\d{1,2})(?![\w.])")

# on the lowered line: a dotted quad, or four hex digits, a colon, up to four more and a colon
# (looked for from the colon back: a class first would be tried at every letter)
CUE = re.compile(r"\d\.\d{1,3}\.\d{1,3}\.\d|:(?<=[0-9a-f]{4}:)[0-9a-f]{0,4}:")


def ip_addresses(text: str) -> list[Cand]:
    out: list[Cand] = []
    for m in _V4.finditer(text) if "." in text else ():
        addr = m.group()
        if addr in _PUBLIC_RESOLVERS or not ipaddress.IPv4Address(addr).is_global:
            continue
        before = text[max(0, m.start() - 24) : m.start()]
        if _VERSION_BEFORE.search(before):
            continue
        if max(int(p) for p in addr.split(".")) <= _SMALL and not _NETWORK_WORD.search(
                text, max(0, m.start() - 40), min(len(text), m.end() + 20)):
            continue
        port = _PORT.match(text, m.end())  # "91.108.4.17:8080", "46.17.40.11/32": they go with it
        out.append(Cand("ip", m.start(), port.end() if port else m.end(), "IPv4", addr))
    for m in _V6.finditer(text) if ":" in text else ():
        try:
            addr = ipaddress.IPv6Address(m.group())
        except ValueError:
            continue
        if addr.is_global and m.group().count(":") >= 3:
            out.append(Cand("ip", m.start(), m.end(), "IPv6", addr.compressed))
    return out
