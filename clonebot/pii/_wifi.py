"""Wi-Fi network names (SSIDs): said beside a password, never one themselves.

"вайфай MGTS_GPON_8C1E не ловит", "wifi: HomeNet_5G / X", "сеть Keenetic-4821, пароль X":
the name is what routers print on their sticker — a brand or ISP, a dash or underscore, a
hex tail, a band ("_5G") — or is announced as the network ("сеть", "ssid", "называется").
"""

from __future__ import annotations

import re

_BRAND = (r"keenetic|tp-?link|mgts|gpon|rostelecom|rt-|beeline|megafon|tele2|dir-|d-?link|asus|tenda|zyxel|"
          r"huawei|xiaomi|redmi|mi[-_]|netgear|linksys|mikrotik|ubnt|netis|totolink|mercusys|ertelecom|dom\.?ru|"
          r"domru|ttk|akado|onlime|starlink|kyivstar|byfly|vodafone|xfinity|spectrum|virgin|sky|bt-|eero|orbi|"
          r"android|iphone|galaxy|direct-|hp-|wifi|wi-fi|wlan|guest")
_SSID = re.compile(
    rf"^(?:{_BRAND})"
    r"|[-_](?=[0-9A-F]*[A-F])[0-9A-F]{4,6}$"  # a hex tail: "Beeline_A12F"
    r"|[-_ ](?:5g|5ghz|2\.4g?(?:hz)?|2g|ext|guest)$", re.I)
# "сеть X", "network X", "ssid: X", "называется X", "имя сети X": what comes next is the name
_NETWORK_WORD = re.compile(r"сеть|сети|network|ssid|называ|name|имя|точк\w+\s+доступа|hotspot", re.I)
# the ways a Wi-Fi keyword is written (the password keywords' "weak" family)
_WIFI_KEY = re.compile(r"wi[- ]?fi|вай[- ]?фа|вайфик|вафл|wlan", re.I)


def looks_like_ssid(value: str) -> bool:
    return _SSID.search(value) is not None


def is_wifi_key(keyword: str) -> bool:
    return _WIFI_KEY.match(keyword) is not None


def names_network(between: str) -> bool:
    """The words between a Wi-Fi keyword and a value announce the network's name."""
    return _NETWORK_WORD.search(between) is not None
