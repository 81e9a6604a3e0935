#!/usr/bin/env python3
"""Writes shared/data/device-models.json from Matomo device-detector's device lists.

Usage (one command; REF is a release tag or a commit of matomo-org/device-detector):

    curl -fsSL https://github.com/matomo-org/device-detector/archive/REF.tar.gz \
      | python3 shared/data/device_models.py REF > shared/data/device-models.json

Needs PyYAML (Debian: python3-yaml). The output keeps what a device class needs and
nothing else: per brand, in the lists' order, the brand's pattern, its class and its
model patterns with their classes; model names are dropped.
"""

import io
import json
import sys
import tarfile

import yaml

# The device parsers device-detector runs on every agent, in its order. Its TV lists
# (televisions.yml, shell_tv.yml) and notebooks.yml apply only to agents that carry
# an HbbTV, Shell or FBMD mark, which the rules of user_agent/device.rs read first.
LISTS = [
    "consoles.yml",
    "car_browsers.yml",
    "cameras.yml",
    "portable_media_player.yml",
    "mobiles.yml",
]

# device-detector's device types as the stored classes: m(obile), t(ablet), v (tv:
# fixed screens used in passing), d(esktop). Types with no class here (peripheral,
# camera, smart speaker) leave the agent to the rules.
CLASS = {
    "smartphone": "m",
    "phablet": "m",
    "feature phone": "m",
    "wearable": "m",
    "portable media player": "m",
    "tablet": "t",
    "tv": "v",
    "console": "v",
    "car browser": "v",
    "smart display": "v",
    "desktop": "d",
}


def class_of(device):
    return CLASS.get(device) if device else None


def classed(models, brand_class):
    """Models as [pattern, class]."""
    return [[m["regex"], class_of(m.get("device")) or brand_class] for m in models]


def main():
    ref = sys.argv[1] if len(sys.argv) > 1 else "unknown"
    archive = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()), mode="r:gz")
    members = {m.name.split("/", 1)[-1]: m for m in archive.getmembers()}
    brands = []
    for name in LISTS:
        member = members["regexes/device/" + name]
        entries = yaml.safe_load(archive.extractfile(member)) or {}
        for entry in entries.values():
            brand_class = class_of(entry.get("device"))
            brands.append([entry["regex"], brand_class, classed(entry.get("models", []), brand_class)])
    out = {
        "source": f"https://github.com/matomo-org/device-detector/tree/{ref}/regexes/device",
        "license": "LGPL-3.0-or-later (device-models.LICENSE)",
        "brands": brands,
    }
    json.dump(out, sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
