"""Build the embedded SCHEMATIC Shiyan (十堰) road and water network as OSM XML.

The output (``networks/shiyan_schematic.osm``) is *schematic*: it is drawn from the public
coordinates compiled in ``geography.md`` (row ids such as ``A01`` or ``§2b`` and source
keys such as ``S8`` are cited next to every number below), not from surveyed geometry.
It is tagged exactly as OpenStreetMap tags roads, service areas, piers, bus routes and
plants, so the same loader reads it and a real extract.  See ``networks/PROVENANCE.md``.

What it holds:

* the central city along its east-west valley (花果 → 白浪) and its northern extension
  toward 十堰东 HSR and 郧阳: named arterials over a jittered street grid clipped to a
  valley mask, with some one-way streets;
* the county seats with small street grids, linked by national / provincial roads;
* the expressways as dual carriageways with interchanges (ramps to local roads),
  junctions between expressways, service / parking areas reachable from both
  carriageways, and two-way stubs where they leave the study area (gateways);
* the Danjiangkou reservoir: fairways along the Han and Dan arms, ferry routes, piers with
  road access;
* bus terminals, stops and route relations; plants, the logistics hub, rail yards, fuel and
  charging stations and ``place=*`` nodes.

The build is deterministic: the only randomness (street-grid jitter and gaps) comes from a
fixed seed, and the output is byte-for-byte identical on every run.

Usage::

    python networks/build_shiyan.py [--out networks/shiyan_schematic.osm] [--report]
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Final
from xml.sax.saxutils import quoteattr

import numpy as np

SEED: Final = 1_024_1967  # fixed seed of the street-grid jitter (any constant works)
ID_BASE: Final = 9_000_000_000  # ids far above real OSM ids
GENERATOR: Final = "transport_sim schematic builder"
DEFAULT_OUT: Final = Path(__file__).resolve().parent / "shiyan_schematic.osm"

# --- local metric projection (equirectangular about the city) -----------------------
LON0: Final = 110.80
LAT0: Final = 32.60
KY: Final = 110_574.0  # metres per degree of latitude
KX: Final = 111_320.0 * math.cos(math.radians(LAT0))  # metres per degree of longitude
EARTH_R: Final = 6_371_009.0


def to_xy(lon: float, lat: float) -> np.ndarray:
    """Project degrees to local metres."""
    return np.array([(lon - LON0) * KX, (lat - LAT0) * KY])


def to_lonlat(xy: np.ndarray) -> tuple[float, float]:
    """Unproject local metres to degrees."""
    return float(xy[0] / KX + LON0), float(xy[1] / KY + LAT0)


def haversine_len(xy: np.ndarray) -> float:
    """Great-circle length in metres of a polyline given in local metres (k x 2)."""
    lon = xy[:, 0] / KX + LON0
    lat = xy[:, 1] / KY + LAT0
    p1, p2 = np.radians(lat[:-1]), np.radians(lat[1:])
    dl = np.radians(lon[1:] - lon[:-1])
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float((2 * EARTH_R * np.arcsin(np.sqrt(h))).sum())


# =====================================================================================
# Data (all coordinates WGS84 lon, lat).  Confidence as in geography.md: H/M/L/VL.
# =====================================================================================

#: Road anchors: named road nodes shared by several roads.  (lon, lat, source)
ANCHORS: Final = MappingProxyType(
    {
        # central city, geography.md §5 (S19, S23; VL/L) and §1 (A01-A03, A11)
        "花果": (110.660, 32.630, "§5 Huaguo, S19/S23 VL"),
        "红卫": (110.700, 32.640, "§5 Hongwei, S19 VL"),
        "张湾": (110.767, 32.652, "A03 Zhangwan seat S17 H"),
        "五堰": (110.790, 32.642, "§5 Wuyan, S19 L"),
        "六堰": (110.800, 32.641, "§5 Liuyan, S19 L"),
        "东城": (110.820, 32.648, "§5 Dongcheng, K VL"),
        "白浪": (110.870, 32.611, "§5 Bailang, S19 L"),
        "熊家湾": (110.782, 32.680, "§5 Xiongjiawan, S23 VL"),
        "十堰东站": (110.800, 32.710, "§5 Shiyan East HSR, S20 L"),
        "西城": (110.660, 32.680, "§5 Xicheng dev. area, S7/S23 VL"),
        "北京路环岛": (110.797, 32.662, "§5 Beijing Rd x Jiangsu Rd x Huojian Rd, S23 L"),
        "客运西站": (110.720, 32.670, "§5 West coach station, S22 VL"),
        "茅箭": (110.810, 32.632, "A02 Maojian area, S17 H (shifted to G316)"),
        "大川路口": (110.812, 32.622, "schematic: G209 leaves the city south-east"),
        "机场": (110.905, 32.595, "B04 Wudangshan airport, S18 H"),
        "柳陂": (110.752, 32.785, "§2a Liubei, S1 L"),
        # county seats and towns, geography.md §1 (S17 H), §2 (L/VL), §6
        "郧阳": (110.807, 32.840, "A04 Yunyang seat, S17 H"),
        "丹江口": (111.508, 32.541, "A05 Danjiangkou seat, S17 H"),
        "郧西": (110.421, 32.993, "A06 Yunxi seat, S17 H"),
        "竹山": (110.225, 32.228, "A07 Zhushan seat, S17 H"),
        "竹溪": (109.712, 32.318, "A08 Zhuxi seat, S17 H"),
        "房县": (110.737, 32.057, "A09 Fang seat, S17 H"),
        "武当山": (111.010, 32.455, "A10 Wudangshan zone seat, K M"),
        "淅川": (111.490, 33.140, "B05 Xichuan seat (Henan), K M"),
        "六里坪": (110.920, 32.485, "§2a/§5 Liuliping, S5/S21 L"),
        "土关垭": (111.430, 32.490, "§2a Danjiangkou IC area / HSR, S16/S21 L"),
        "黄龙": (110.550, 32.712, "§2b Huanglong, S7 L"),
        "鲍峡": (110.380, 32.765, "§2b Baoxia, S8 L"),
        "胡家营": (110.212, 32.812, "§5 Hujiaying station, S18 H"),
        "茨家岭": (110.950, 32.900, "§6 Cijialing (G209 / ring road), S16 L"),
        "刘洞": (110.950, 33.020, "§2c Liudong, VL"),
        "老城": (111.230, 33.045, "§4 Laocheng (Xichuan), S13 VL"),
        "马蹬": (111.610, 33.000, "§4 Madeng, S13 VL"),
        "宋岗": (111.620, 32.910, "§4 Songgang, S13 VL"),
        "九重": (111.720, 32.780, "B06 Jiuzhong area, K VL"),
        "陶岔": (111.715, 32.676, "B06 Taocha canal head, K M"),
        "下寺": (111.425, 32.872, "§4 Xiasi, S13 VL"),
        "仓房": (111.445, 32.815, "§2f Cangfang, VL"),
        "大川": (110.840, 32.550, "§6 Dachuan (十两路), M"),
        "两河口": (110.820, 32.420, "§6 Lianghekou (十两路), M"),
        "土城": (110.835, 32.190, "§2c Tucheng, S5 L (on G209, schematic)"),
        "官山": (110.985, 32.305, "§2c Guanshan, S5 L"),
        "野人谷": (110.620, 31.860, "§2g Yerengu, VL"),
        "青峰": (110.900, 32.030, "§2d Qingfeng, S5 VL"),
        "军店": (110.500, 32.130, "§2d Jundian, S5 VL"),
        "宝丰": (109.950, 32.272, "§2d Baofeng, S34 VL"),
        "上津": (110.036, 33.136, "B07 Shangjin, S26 M"),
        "观音": (110.430, 32.900, "§2e Guanyin, S4 VL"),
        "五峰": (110.430, 32.820, "§2e Wufeng, S4 VL"),
        "沧浪山": (110.300, 32.515, "§2e Canglangshan, S3 VL"),
        "竹山北": (110.235, 32.330, "§2e Zhushan North, S3 VL"),
        "青曲": (110.580, 32.880, "§2a Qingqu, S1 L"),
        "香口": (110.490, 32.955, "§2a Xiangkou, S1 L"),
        "辽瓦": (110.600, 32.805, "§6 Liaowa (ring road), S16 VL"),
        "茶店": (110.860, 32.735, "§2c Changling/Chadian, S16 VL"),
        "均县": (110.980, 32.595, "§4 Junxian, S12/S16 VL"),
        "龙山": (111.350, 32.560, "§4 Longshan, S14/S16 L"),
        "凉水河": (111.420, 32.618, "§4 Liangshuihe, S14 L"),
        "习家店": (111.280, 32.705, "§4 Xijiadian, S16 VL"),
        "石鼓": (111.480, 32.665, "§2f Shigu, VL"),
    }
)


@dataclass(frozen=True)
class Wp:
    """An expressway waypoint: a junction, interchange, border or shape point."""

    name: str
    lon: float
    lat: float
    kind: str = "point"  # point | ic | jct | ic+jct | border | tee
    target: str | None = None  # ic: anchor the connector leads to; tee: "KEY:JCT name"
    source: str = ""


@dataclass(frozen=True)
class Expressway:
    """An expressway corridor: ordered waypoints, sections and length targets."""

    key: str
    ref: str
    waypoints: tuple[Wp, ...]
    sections: tuple[tuple[int, str, str, int], ...]  # (first waypoint, name, name:en, km/h)
    groups: tuple[tuple[int, int, float], ...]  # (first wp, last wp, km) sourced lengths
    default_ratio: float = 1.12  # mountain sinuosity where no length is sourced (K)


EXPRESSWAYS: Final = (
    # G70 Fuyin: 汉十 part (border -> 十堰东, 75-90 km K) + 十漫 (107.136 km incl. 1.36 km in
    # Shaanxi, S1).  Nodes: geography.md §2a.
    Expressway(
        key="G70",
        ref="G70",
        waypoints=(
            Wp("谷城方向省界", 111.47, 32.42, "border", source="§2a-1 K VL"),
            Wp("丹江口", 111.41, 32.49, "ic", "土关垭", "§2a-2 S16 L"),
            Wp("丁家营", 111.28, 32.44, "jct", source="§2a-3 S2 L"),
            Wp("武当山", 111.03, 32.44, "ic", "武当山", "§2a-4 S32 L"),
            Wp("六里坪", 110.92, 32.48, "ic+jct", "六里坪", "§2a-5 S5/S10/S12 L (G59 十房)"),
            Wp("十堰东", 110.83, 32.60, "ic", "白浪", "§2a-6 S1/S10 L"),
            Wp("十堰西", 110.71, 32.64, "ic", None, "§2a-7 S1/S10 L (发展大道)"),
            Wp("茅坪", 110.73, 32.70, "jct", source="§2a-8 S1/S7/S8 L/VL"),
            Wp("柳陂", 110.74, 32.79, "ic", "柳陂", "§2a-9 S1 L"),
            Wp("青曲", 110.58, 32.87, "ic", "青曲", "§2a-10 S1 L"),
            Wp("香口", 110.49, 32.95, "ic", "香口", "§2a-11 S1 L"),
            Wp("郧西南", 110.42, 32.96, "jct", source="§2a-12 S4 L"),
            Wp("郧西西", 110.30, 33.03, "point", source="§2a-13 (郧西 SA position) S1 VL"),
            Wp("上津", 110.04, 33.13, "ic", "上津", "§2a-14 S1/S26 M/L"),
            Wp("鄂陕界", 110.00, 33.16, "border", source="§2a-15 S1 L"),
        ),
        sections=(
            (0, "福银高速(汉十段)", "Fuzhou-Yinchuan Expressway (Hanshi)", 120),
            (5, "福银高速(十漫段)", "Fuzhou-Yinchuan Expressway (Shiman)", 100),
        ),
        groups=((0, 5, 82.0), (5, 14, 105.8)),
    ),
    # G4213 Ma'an (谷竹 section), east -> west, geography.md §2d.  Lengths: 房县 share 76 km
    # (S5), 竹山 51 km (S34), 竹溪 35-45 km (K, VL: 40 used).
    Expressway(
        key="G4213",
        ref="G4213",
        waypoints=(
            Wp("保康方向界", 110.98, 31.98, "border", source="§2d-1 S5 VL"),
            Wp("青峰", 110.90, 32.03, "ic", "青峰", "§2d-2 S5 VL"),
            Wp("房县", 110.74, 32.08, "jct", source="§2d-3 S5/S11 L (G59 十房)"),
            Wp("房县城区", 110.70, 32.09, "ic", "房县", "schematic: 房县 town IC W of the JCT"),
            Wp("军店", 110.50, 32.13, "ic", "军店", "§2d-4 S5 VL"),
            Wp("窑淮", 110.34, 32.19, "point", source="§2d-4 S5 VL"),
            Wp("竹山", 110.22, 32.24, "ic", "竹山", "§2d-6 S34 L"),
            Wp("溢水", 110.15, 32.29, "jct", source="§2d-7 S3/S34 VL (十巫)"),
            Wp("宝丰", 109.95, 32.27, "ic", "宝丰", "§2d-8 S34 VL"),
            Wp("竹溪", 109.70, 32.33, "ic", "竹溪", "§2d-9 K L"),
            Wp("关垭子", 109.50, 32.37, "border", source="§2d-10 S6 VL"),
        ),
        sections=((0, "麻安高速(谷竹段)", "Ma'an Expressway (Guzhu)", 100),),
        groups=((0, 5, 76.0), (5, 8, 51.0), (8, 10, 40.0)),
    ),
    # G7011 Shitian 十白, 58.3 km; toll-segment km from S8: 茅坪 9.028 张湾 13.935 黄龙
    # 21.337 鲍峡 13.999 border.  geography.md §2b.
    Expressway(
        key="G7011",
        ref="G7011",
        waypoints=(
            Wp("茅坪", 110.73, 32.70, "tee", "G70:茅坪", "§2b-1 S1/S8 L/VL"),
            Wp("张湾", 110.65, 32.68, "ic", "西城", "§2b-2 S7/S8 L"),
            Wp("黄龙", 110.55, 32.71, "ic", "黄龙", "§2b-3 S7/S8 L"),
            Wp("鲍峡", 110.38, 32.76, "jct", source="§2b-4 S3/S4/S8 L (十巫)"),
            Wp("鄂陕界", 110.17, 32.82, "border", source="§2b-6 S1/S7 L"),
        ),
        sections=((0, "十天高速(十白段)", "Shiyan-Tianshui Expressway (Shibai)", 100),),
        groups=((0, 1, 9.028), (1, 2, 13.935), (2, 3, 21.337), (3, 4, 13.999)),
    ),
    # G59 Hubei 郧十 (Henan border -> 茅坪), about 60 km (K, L).  geography.md §2c 1-6.
    Expressway(
        key="G59N",
        ref="G59",
        waypoints=(
            Wp("鄂豫界", 110.98, 33.08, "border", source="§2c-1 S9 VL"),
            Wp("刘洞", 110.95, 33.02, "ic", "刘洞", "§2c-2 VL"),
            Wp("郧阳东", 110.90, 32.86, "ic", "茨家岭", "§2c-3 S9 L"),
            Wp("郧阳南", 110.84, 32.80, "ic", "郧阳", "§2c-4 S10 L"),
            Wp("长岭", 110.86, 32.73, "ic", "茶店", "§2c-5 S16 VL"),
            Wp("茅坪", 110.73, 32.70, "tee", "G70:茅坪", "§2c-6 inference VL"),
        ),
        sections=((0, "呼北高速(郧十段)", "Hohhot-Beihai Expressway (Yunshi)", 100),),
        groups=((0, 5, 60.0),),
    ),
    # G59 十房 (六里坪 -> 房县), 63.933 km (S5).  geography.md §2c 7-10.
    Expressway(
        key="G59S",
        ref="G59",
        waypoints=(
            Wp("六里坪", 110.92, 32.48, "tee", "G70:六里坪", "§2c-7 S5 L"),
            Wp("官山", 110.97, 32.30, "ic", "官山", "§2c-8 S5 L"),
            Wp("土城", 110.85, 32.17, "ic", "土城", "§2c-9 S5 L"),
            Wp("房县", 110.74, 32.08, "tee", "G4213:房县", "§2c-10 S5/S11 L"),
        ),
        sections=((0, "呼北高速(十房段)", "Hohhot-Beihai Expressway (Shifang)", 100),),
        groups=((0, 3, 63.933),),
    ),
    # 十巫 north: 郧西南 JCT -> 鲍峡 JCT, 34.8 km (S4).  geography.md §2e 1-5.
    Expressway(
        key="SW-N",
        ref="",
        waypoints=(
            Wp("郧西南", 110.42, 32.96, "tee", "G70:郧西南", "§2e-1 S4 L"),
            Wp("观音", 110.42, 32.90, "ic", "观音", "§2e-2 S4 VL"),
            Wp("汉江特大桥", 110.42, 32.86, "point", source="§2e-3 S4 VL"),
            Wp("五峰", 110.42, 32.82, "ic", "五峰", "§2e-4 S4 VL"),
            Wp("鲍峡", 110.38, 32.76, "tee", "G7011:鲍峡", "§2e-5 S3/S4 L"),
        ),
        sections=((0, "十巫高速(郧西至鲍峡段)", "Shiyan-Wuxi Expressway (north)", 80),),
        groups=((0, 4, 34.8),),
    ),
    # 十巫 south: 鲍峡 JCT -> 溢水 JCT, 58.632 km (S3).  geography.md §2e 5-8.
    Expressway(
        key="SW-S",
        ref="",
        waypoints=(
            Wp("鲍峡", 110.38, 32.76, "tee", "G7011:鲍峡", "§2e-5 S3 L"),
            Wp("沧浪山", 110.29, 32.52, "ic", "沧浪山", "§2e-6 S3 VL"),
            Wp("竹山北", 110.22, 32.33, "ic", "竹山北", "§2e-7 S3 VL"),
            Wp("溢水", 110.15, 32.29, "tee", "G4213:溢水", "§2e-8 S3 VL"),
        ),
        sections=((0, "十巫高速(鲍峡至溢水段)", "Shiyan-Wuxi Expressway (south)", 80),),
        groups=((0, 3, 58.632),),
    ),
    # 十淅: 丁家营 JCT -> Hubei/Henan border 42.5 km (S2), continued schematically into
    # Henan to 仓房 (ordering from §2f) and a gateway toward 淅川/西峡.
    Expressway(
        key="SX",
        ref="",
        waypoints=(
            Wp("丁家营", 111.28, 32.44, "tee", "G70:丁家营", "§2f S2 L"),
            Wp("龙山", 111.35, 32.55, "ic", "龙山", "§2f S2 L"),
            Wp("凉水河", 111.42, 32.61, "ic", "凉水河", "§2f S2 L"),
            Wp("石鼓", 111.47, 32.67, "ic", "石鼓", "§2f S2 L"),
            Wp("鄂豫界", 111.48, 32.70, "point", source="§2f VL"),
            Wp("仓房", 111.455, 32.81, "ic", "仓房", "§2f ordering, VL (Henan)"),
            Wp("淅川方向", 111.47, 32.87, "border", source="schematic gateway toward 淅川/西峡"),
        ),
        sections=((0, "十淅高速", "Shiyan-Xichuan Expressway", 100),),
        groups=((0, 4, 42.5),),
        default_ratio=1.10,
    ),
)


@dataclass(frozen=True)
class SA:
    """A service area (``services``) or parking area (``rest_area``)."""

    name: str
    name_en: str
    road: str
    lon: float
    lat: float
    kind: str
    geom: str  # "area" | "node"
    schematic_placement: bool
    source: str
    charging: bool = False


SERVICE_AREAS: Final = (
    SA(
        "武当山服务区",
        "Wudangshan Service Area",
        "G70",
        111.15,
        32.43,
        "services",
        "area",
        False,
        "§3 K VL (own recollection; project notes: known SA)",
        charging=True,
    ),
    SA(
        "丹江口服务区",
        "Danjiangkou Service Area",
        "G70",
        111.36,
        32.47,
        "services",
        "area",
        True,
        "schematic ~40-60 km spacing (Hanshi: 7 pairs / 434 km)",
    ),
    SA(
        "许家棚停车区",
        "Xujiapeng Parking Area",
        "G70",
        110.87,
        32.54,
        "rest_area",
        "node",
        True,
        "schematic spacing",
    ),
    SA(
        "柳陂服务区",
        "Liubei Service Area",
        "G70",
        110.70,
        32.83,
        "services",
        "area",
        True,
        "schematic spacing",
    ),
    SA(
        "青曲停车区",
        "Qingqu Parking Area",
        "G70",
        110.58,
        32.87,
        "rest_area",
        "node",
        False,
        "§3 S1 L",
    ),
    SA(
        "香口停车区",
        "Xiangkou Parking Area",
        "G70",
        110.49,
        32.95,
        "rest_area",
        "node",
        False,
        "§3 S1 L",
    ),
    SA(
        "郧西服务区",
        "Yunxi Service Area",
        "G70",
        110.30,
        33.03,
        "services",
        "area",
        False,
        "§3 S1 VL",
        charging=True,
    ),
    SA(
        "上津停车区",
        "Shangjin Parking Area",
        "G70",
        110.12,
        33.10,
        "rest_area",
        "node",
        True,
        "schematic spacing",
    ),
    SA(
        "鲍峡服务区",
        "Baoxia Service Area",
        "G7011",
        110.45,
        32.74,
        "services",
        "area",
        True,
        "schematic spacing",
    ),
    SA(
        "郧阳服务区",
        "Yunyang Service Area",
        "G59N",
        110.87,
        32.83,
        "services",
        "area",
        False,
        "project notes: known SA (position VL, schematic)",
        charging=True,
    ),
    SA(
        "刘洞停车区",
        "Liudong Parking Area",
        "G59N",
        110.94,
        32.98,
        "rest_area",
        "node",
        True,
        "schematic spacing",
    ),
    SA(
        "官山服务区",
        "Guanshan Service Area",
        "G59S",
        110.96,
        32.36,
        "services",
        "area",
        True,
        "schematic spacing",
    ),
    SA(
        "房县服务区",
        "Fangxian Service Area",
        "G59S",
        110.80,
        32.13,
        "services",
        "node",
        False,
        "project notes: known SA (position VL, schematic)",
        charging=True,
    ),
    SA(
        "青峰停车区",
        "Qingfeng Parking Area",
        "G4213",
        110.85,
        32.05,
        "rest_area",
        "node",
        True,
        "schematic spacing",
    ),
    SA(
        "军店服务区",
        "Jundian Service Area",
        "G4213",
        110.56,
        32.12,
        "services",
        "area",
        True,
        "schematic spacing",
    ),
    SA(
        "竹山服务区",
        "Zhushan Service Area",
        "G4213",
        110.29,
        32.21,
        "services",
        "node",
        True,
        "schematic spacing",
    ),
    SA(
        "宝丰停车区",
        "Baofeng Parking Area",
        "G4213",
        110.02,
        32.26,
        "rest_area",
        "node",
        True,
        "schematic spacing",
    ),
    SA(
        "竹溪服务区",
        "Zhuxi Service Area",
        "G4213",
        109.62,
        32.35,
        "services",
        "area",
        True,
        "schematic spacing",
    ),
    SA(
        "沧浪山服务区",
        "Canglangshan Service Area",
        "SW-S",
        110.29,
        32.52,
        "services",
        "area",
        False,
        "§3 S3 VL",
        charging=True,
    ),
    SA(
        "竹山北停车区",
        "Zhushan North Parking Area",
        "SW-S",
        110.22,
        32.33,
        "rest_area",
        "node",
        False,
        "§3 S3 VL",
    ),
    SA(
        "五峰停车区",
        "Wufeng Parking Area",
        "SW-N",
        110.42,
        32.84,
        "rest_area",
        "node",
        True,
        "schematic spacing",
    ),
    SA(
        "十淅服务区",
        "Shixi Service Area",
        "SX",
        111.39,
        32.58,
        "services",
        "area",
        True,
        "§3 S2: one SA on the Hubei section, name and position not found",
    ),
)


@dataclass(frozen=True)
class RoadSpec:
    """A non-expressway road: waypoints are anchor names, (lon, lat) or ("join", lon, lat)."""

    key: str
    tags: tuple[tuple[str, str], ...]
    waypoints: tuple
    spacing_m: float = 500.0
    target_km: float | None = None  # whole-road length target (sourced) or None
    ratio: float = 1.0  # sinuosity when no target
    halfwave_m: float = 3000.0


def _t(**kw: str) -> tuple[tuple[str, str], ...]:
    """Tags from keyword arguments (``name_en`` -> ``name:en``), sorted for stable output."""
    return tuple(sorted(("name:en" if k == "name_en" else k, v) for k, v in kw.items()))


# Urban arterials, geography.md §5 (endpoints named places, coordinates VL).
URBAN_ROADS: Final = (
    RoadSpec(
        "checheng",
        _t(highway="primary", name="车城路", name_en="Checheng Road", maxspeed="50", lanes="6"),
        ("六堰", "五堰", (110.780, 32.648), "张湾", (110.735, 32.647), "红卫"),
        120.0,
    ),
    RoadSpec(
        "renmin",
        _t(highway="secondary", name="人民路", name_en="Renmin Road", maxspeed="50", lanes="4"),
        ((110.788, 32.620), "五堰", (110.789, 32.653), (110.787, 32.664)),
        120.0,
    ),
    RoadSpec(
        "gongyuan",
        _t(highway="secondary", name="公园路", name_en="Gongyuan Road", maxspeed="40", lanes="4"),
        ((110.772, 32.649), (110.806, 32.653)),
        120.0,
    ),
    RoadSpec(
        "beijing",
        _t(highway="secondary", name="北京路", name_en="Beijing Road", maxspeed="50", lanes="6"),
        ("六堰", (110.799, 32.652), "北京路环岛", "熊家湾"),
        120.0,
    ),
    RoadSpec(
        "zhejiang",
        _t(highway="secondary", name="浙江路", name_en="Zhejiang Road", maxspeed="50", lanes="4"),
        ((110.818, 32.636), "东城", (110.822, 32.672), (110.832, 32.690)),
        120.0,
    ),
    RoadSpec(
        "fazhan",
        _t(highway="primary", name="发展大道", name_en="Fazhan Avenue", maxspeed="60", lanes="6"),
        (
            (110.812, 32.692),
            "熊家湾",
            (110.750, 32.677),
            "客运西站",
            (110.712, 32.657),
            "IC:十堰西",
        ),
        120.0,
    ),
    RoadSpec(
        "shiyan_ave",
        _t(
            highway="trunk",
            name="十堰大道",
            name_en="Shiyan Avenue",
            ref="G209",
            maxspeed="60",
            lanes="6",
        ),
        ("熊家湾", "十堰东站", (110.795, 32.748), "柳陂", (110.790, 32.815), "郧阳"),
        150.0,
    ),
    RoadSpec(
        "sanxia",
        _t(highway="secondary", name="三峡路", name_en="Sanxia Road", maxspeed="50", lanes="4"),
        ((110.752, 32.663), (110.722, 32.657), (110.690, 32.648), "花果"),
        120.0,
    ),
    RoadSpec(
        "xuanyue",
        _t(highway="primary", name="玄岳大道", name_en="Xuanyue Avenue", maxspeed="60", lanes="6"),
        ("十堰东站", (110.830, 32.690), (110.858, 32.660), (110.885, 32.628), "机场"),
        150.0,
    ),
    RoadSpec(
        "dongyue",
        _t(highway="secondary", name="东岳路", name_en="Dongyue Road", maxspeed="50"),
        ("大川路口", (110.807, 32.640), (110.809, 32.657)),
        120.0,
    ),
    RoadSpec(
        "huojian",
        _t(highway="secondary", name="火箭路", name_en="Huojian Road", maxspeed="50"),
        ("北京路环岛", (110.812, 32.667)),
        120.0,
    ),
    RoadSpec(
        "jiangsu",
        _t(highway="secondary", name="江苏路", name_en="Jiangsu Road", maxspeed="50", lanes="4"),
        ("北京路环岛", ("join", 110.793, 32.684)),
        120.0,
    ),
    RoadSpec(
        "wudang",
        _t(highway="tertiary", name="武当路", name_en="Wudang Road", maxspeed="40"),
        ((110.824, 32.662), (110.846, 32.679)),
        120.0,
    ),
    RoadSpec(
        "chongqing",
        _t(highway="tertiary", name="重庆路", name_en="Chongqing Road", maxspeed="40"),
        ((110.814, 32.678), (110.842, 32.667)),
        120.0,
    ),
    RoadSpec(
        "linyin",
        _t(highway="secondary", name="林荫大道", name_en="Linyin Avenue", maxspeed="50"),
        ((110.836, 32.650), (110.836, 32.684)),
        120.0,
    ),
    RoadSpec(
        "g316_city",
        _t(
            highway="trunk",
            name="316国道",
            name_en="National Road 316",
            ref="G316",
            maxspeed="60",
            lanes="4",
        ),
        (
            "白浪",
            (110.845, 32.624),
            "茅箭",
            (110.786, 32.633),
            (110.765, 32.640),
            (110.720, 32.632),
            "花果",
        ),
        150.0,
    ),
)

# National / provincial roads, geography.md §6 (town sequences; L/M).
RURAL_ROADS: Final = (
    # G316: 丹江口 (km 1510) -> 十堰 (km 1610): 100 km (S31); the urban part is separate.
    RoadSpec(
        "g316_e",
        _t(highway="trunk", name="316国道", name_en="National Road 316", ref="G316", maxspeed="80"),
        ("白浪", (110.895, 32.545), "六里坪", "武当山", "土关垭", "丹江口"),
        target_km=90.0,
    ),
    RoadSpec(
        "g316_e2",
        _t(highway="trunk", name="316国道", name_en="National Road 316", ref="G316"),
        ("丹江口", (111.66, 32.43)),
        ratio=1.15,
    ),
    # G316: 十堰 (km 1610) -> 白河 (km 1703): 93 km (S31); 77 km rural to the border.
    RoadSpec(
        "g316_w",
        _t(highway="trunk", name="316国道", name_en="National Road 316", ref="G316", maxspeed="70"),
        ("花果", (110.620, 32.662), "黄龙", "鲍峡", "胡家营", (110.140, 32.838)),
        target_km=77.0,
    ),
    RoadSpec(
        "g209_n",
        _t(highway="trunk", name="209国道", name_en="National Road 209", ref="G209", maxspeed="70"),
        ("郧阳", "茨家岭", "刘洞", (111.080, 33.050), "老城", "淅川", (111.560, 33.260)),
        ratio=1.15,
    ),
    RoadSpec(
        "g209_s",
        _t(highway="trunk", name="209国道", name_en="National Road 209", ref="G209"),
        ("大川路口", "大川", "两河口", "土城", "房县", "野人谷", (110.580, 31.760)),
        ratio=1.18,
    ),
    RoadSpec(
        "g346",
        _t(highway="trunk", name="346国道", name_en="National Road 346", ref="G346", maxspeed="70"),
        ((111.020, 31.950), "青峰", "房县", "军店", "竹山", "宝丰", "竹溪", (109.480, 32.390)),
        ratio=1.15,
    ),
    RoadSpec(
        "g242",
        _t(highway="trunk", name="242国道", name_en="National Road 242", ref="G242"),
        (
            (110.020, 33.190),
            "上津",
            "郧西",
            "观音",
            "五峰",
            "鲍峡",
            "沧浪山",
            "竹山北",
            "竹山",
            (110.050, 31.950),
            (110.000, 31.800),
        ),
        ratio=1.18,
    ),
    # 环库公路 (S16): 丹江口 → 凉水河 → 习家店 → 茨家岭 → 郧阳 → 郧西 → ... → 柳陂 → 茶店
    # → 均县 → 龙山 → 丹江口.
    RoadSpec(
        "ring_n",
        _t(highway="primary", name="环库公路", name_en="Reservoir Ring Road", maxspeed="60"),
        ("丹江口", "凉水河", "习家店", "茨家岭", "郧阳"),
        ratio=1.15,
    ),
    RoadSpec(
        "ring_w",
        _t(highway="primary", name="环库公路", name_en="Reservoir Ring Road", maxspeed="60"),
        ("郧阳", "青曲", "香口", "郧西"),
        ratio=1.15,
    ),
    RoadSpec(
        "ring_sw",
        _t(highway="primary", name="环库公路", name_en="Reservoir Ring Road"),
        ("郧西", (110.470, 32.900), "五峰", "辽瓦", "柳陂"),
        ratio=1.15,
    ),
    RoadSpec(
        "ring_s",
        _t(highway="primary", name="环库公路", name_en="Reservoir Ring Road", maxspeed="60"),
        ("柳陂", "茶店", "均县", (111.120, 32.585), "龙山", "丹江口"),
        ratio=1.15,
    ),
    # Henan shore roads to the Xichuan piers (schematic, §4 S13 VL).
    RoadSpec(
        "xt",
        _t(
            highway="secondary",
            name="淅川—陶岔公路",
            name_en="Xichuan-Taocha Road",
            note="schematic road to the Xichuan piers",
        ),
        ("淅川", "马蹬", "宋岗", "九重", "陶岔"),
        ratio=1.15,
    ),
    RoadSpec(
        "cx",
        _t(
            highway="secondary",
            name="仓房—下寺公路",
            name_en="Cangfang-Xiasi Road",
            note="schematic road to the Xiasi pier",
        ),
        ("仓房", "下寺"),
        ratio=1.1,
    ),
)


#: Schematic links that tie the ends of the roads above together (built after them, so
#: "join" waypoints can attach to their nodes).
LINK_ROADS: Final = (
    RoadSpec(
        "bailang_link",
        _t(
            highway="secondary",
            name="白浪—玄岳大道连接线",
            name_en="Bailang-Xuanyue Avenue link",
            note="schematic link road",
        ),
        ("白浪", ("join", 110.885, 32.628)),
        120.0,
    ),
    RoadSpec(
        "airport_road",
        _t(
            highway="secondary",
            name="机场路",
            name_en="Airport Road",
            note="schematic link from the airport to G316",
        ),
        ("机场", ("join", 110.895, 32.545)),
        300.0,
        ratio=1.1,
    ),
)


@dataclass(frozen=True)
class Town:
    """A street grid: centre, half-axes (m), grid spacing (m)."""

    name: str
    lon: float
    lat: float
    rx_m: float
    ry_m: float
    spacing_m: float


TOWNS: Final = (
    Town("郧阳", 110.807, 32.840, 1700, 1000, 190),
    Town("丹江口", 111.508, 32.541, 1900, 1100, 190),
    Town("郧西", 110.421, 32.993, 1300, 800, 190),
    Town("竹山", 110.225, 32.228, 1300, 800, 190),
    Town("竹溪", 109.712, 32.318, 1100, 750, 190),
    Town("房县", 110.737, 32.057, 1400, 900, 190),
    Town("武当山", 111.010, 32.455, 1200, 700, 190),
    Town("六里坪", 110.920, 32.485, 800, 550, 190),
    Town("淅川", 111.490, 33.140, 1200, 800, 190),
)

#: Valley mask of the central city: capsules (polyline, half-width m).  §5 (S19).
CITY_VALLEY: Final = (
    (
        (
            (110.652, 32.627),
            (110.700, 32.638),
            (110.767, 32.650),
            (110.790, 32.643),
            (110.820, 32.646),
            (110.848, 32.628),
            (110.876, 32.608),
        ),
        1350.0,
    ),
    (((110.790, 32.650), (110.783, 32.680), (110.801, 32.712)), 1100.0),
    (((110.815, 32.656), (110.838, 32.684)), 950.0),
    (((110.663, 32.636), (110.660, 32.684)), 900.0),
)
CITY_SPACING_M: Final = (175.0, 160.0)


@dataclass(frozen=True)
class Pier:
    """A reservoir pier / terminal, the anchor its access road leads to, tags."""

    name: str
    name_en: str
    lon: float
    lat: float
    anchor: str | tuple
    tags: tuple[tuple[str, str], ...]
    source: str


PIERS: Final = (
    Pier(
        "丹江口港",
        "Danjiangkou Port (Canglanghai)",
        111.460,
        32.560,
        "丹江口",
        _t(amenity="ferry_terminal", harbour="yes"),
        "§4 S14/S16 L",
    ),
    Pier("龙山码头", "Longshan Pier", 111.350, 32.574, "龙山", _t(man_made="pier"), "§4 S14/S16 L"),
    Pier(
        "凉水河码头", "Liangshuihe Pier", 111.420, 32.604, "凉水河", _t(man_made="pier"), "§4 S14 L"
    ),
    Pier(
        "习家店码头", "Xijiadian Pier", 111.280, 32.688, "习家店", _t(man_made="pier"), "§4 S16 VL"
    ),
    Pier("均县码头", "Junxian Pier", 110.985, 32.612, "均县", _t(man_made="pier"), "§4 S12/S16 VL"),
    Pier(
        "郧阳港牛头岭综合码头",
        "Yunyang Port Niutouling Pier",
        110.830,
        32.830,
        "郧阳",
        _t(amenity="ferry_terminal", harbour="yes"),
        "§4 S15 L",
    ),
    Pier(
        "宋岗码头",
        "Songgang Pier",
        111.600,
        32.900,
        "宋岗",
        _t(amenity="ferry_terminal"),
        "§4 S13 VL",
    ),
    Pier("下寺码头", "Xiasi Pier", 111.432, 32.884, "下寺", _t(man_made="pier"), "§4 S13 VL"),
    Pier(
        "石桥码头",
        "Shiqiao Pier",
        111.330,
        33.030,
        ("join", 111.320, 33.050),
        _t(man_made="pier"),
        "§4 S13 VL",
    ),
    Pier(
        "老城杨山码头",
        "Laocheng Yangshan Pier",
        111.230,
        33.022,
        "老城",
        _t(man_made="pier"),
        "§4 S13 VL",
    ),
    Pier(
        "马蹬崔湾码头",
        "Madeng Cuiwan Pier",
        111.620,
        32.980,
        "马蹬",
        _t(man_made="pier"),
        "§4 S13 VL",
    ),
    Pier(
        "陶岔渠首旅游码头",
        "Taocha Canal-head Tourist Pier",
        111.700,
        32.668,
        "陶岔",
        _t(man_made="pier", leisure="marina"),
        "§4 S13/K M/L",
    ),
)

#: Fairway centre-lines (§4, VL "for drawing only").  A waypoint ("on", key) starts a
#: branch at the nearest node of an earlier fairway.
FAIRWAYS: Final = (
    (
        "han",
        "汉江航道(丹江口库区)",
        "Han River fairway (reservoir)",
        (
            (111.482, 32.566),
            (111.40, 32.58),
            (111.30, 32.64),
            (111.15, 32.68),
            (111.00, 32.72),
            (110.90, 32.78),
            (110.81, 32.825),
            (110.62, 32.86),
        ),
    ),
    (
        "dan",
        "丹江航道",
        "Dan River fairway",
        (
            ("on", "han", 111.482, 32.566),
            (111.50, 32.62),
            (111.55, 32.72),
            (111.52, 32.82),
            (111.45, 32.90),
            (111.35, 32.97),
            (111.25, 33.02),
        ),
    ),
    (
        "east",
        "丹江口库区东部航道",
        "Reservoir east-basin fairway",
        (("on", "dan", 111.55, 32.72), (111.63, 32.70), (111.70, 32.672)),
    ),
    (
        "songgang",
        "宋岗—马蹬航道",
        "Songgang-Madeng fairway",
        (("on", "dan", 111.52, 32.82), (111.60, 32.90), (111.62, 32.975)),
    ),
)
#: Ferry routes between piers (route=ferry, both directions).
FERRIES: Final = (
    ("丹江口—龙山游船", "Danjiangkou-Longshan tour boat", "丹江口港", "龙山码头"),
    ("宋岗渡", "Songgang ferry", "宋岗码头", "下寺码头"),
    ("丹江口—小太平洋游船", "Danjiangkou-Little Pacific tour boat", "丹江口港", "凉水河码头"),
)

# Bus terminals (amenity=bus_station): §5 S22 for 发展大道首末站; others schematic.
BUS_STATIONS: Final = (
    (
        "发展大道公交首末站",
        "Fazhan Avenue bus terminal (West coach station)",
        110.720,
        32.672,
        "§5 S22 VL (15 chargers, 62 bays)",
        True,
    ),
    ("五堰公交首末站", "Wuyan bus terminal", 110.792, 32.645, "schematic", True),
    ("花果公交首末站", "Huaguo bus terminal", 110.662, 32.633, "schematic", False),
    ("白浪公交首末站", "Bailang bus terminal", 110.868, 32.614, "schematic", True),
    ("十堰东站公交枢纽", "Shiyan East station bus hub", 110.803, 32.707, "schematic", True),
    ("东城公交首末站", "Dongcheng bus terminal", 110.826, 32.652, "schematic", True),
    ("红卫公交首末站", "Hongwei bus terminal", 110.702, 32.643, "schematic", False),
    ("西城公交首末站", "Xicheng bus terminal", 110.662, 32.678, "schematic", False),
    ("郧阳汽车站", "Yunyang bus station", 110.810, 32.842, "schematic", False),
    ("丹江口汽车站", "Danjiangkou bus station", 111.505, 32.545, "schematic", False),
    ("郧西县高速客运站", "Yunxi expressway coach station", 110.430, 32.970, "§5 S29 L", False),
    ("竹山汽车站", "Zhushan bus station", 110.228, 32.231, "schematic", False),
    ("竹溪汽车站", "Zhuxi bus station", 109.715, 32.320, "schematic", False),
    ("房县汽车站", "Fangxian bus station", 110.740, 32.060, "schematic", False),
    ("武当山汽车站", "Wudangshan bus station", 111.012, 32.457, "schematic", False),
)

# City bus lines (schematic line set; refs 5 and 39 serve the West coach station per S22).
CITY_LINES: Final = (
    ("1", "花果公交首末站", ("张湾", "五堰", "六堰"), "白浪公交首末站"),
    ("2", "红卫公交首末站", ("张湾", "五堰"), "东城公交首末站"),
    ("3", "十堰站", ("五堰", "北京路环岛"), "熊家湾"),
    ("4", "五堰公交首末站", ((110.789, 32.660), "熊家湾"), "十堰东站公交枢纽"),
    ("5", "发展大道公交首末站", ("熊家湾", "北京路环岛"), "六堰"),
    ("6", "花果公交首末站", ((110.722, 32.657), "张湾"), "五堰公交首末站"),
    ("7", "白浪公交首末站", ((110.885, 32.628), (110.858, 32.660)), "十堰东站公交枢纽"),
    ("8", "西城公交首末站", ("花果", "红卫"), "十堰站"),
    ("9", "东城公交首末站", ((110.822, 32.672), (110.840, 32.668)), "十堰东站公交枢纽"),
    ("10", "六堰", ("大川路口", "茅箭"), "白浪公交首末站"),
    ("11", "十堰东站公交枢纽", ((110.795, 32.748),), "柳陂"),
    ("12", "张湾", ("熊家湾", (110.812, 32.667)), "东城公交首末站"),
    ("13", "红卫公交首末站", ((110.690, 32.648), (110.752, 32.663)), "熊家湾"),
    ("14", "十堰站", ("五堰", "东城"), "白浪公交首末站"),
    ("15", "发展大道公交首末站", ((110.700, 32.650), "花果"), "西城公交首末站"),
    ("16", "花果公交首末站", ((110.720, 32.632), "茅箭"), "白浪公交首末站"),
    ("17", "五堰公交首末站", ((110.806, 32.653), "东城"), (110.832, 32.690)),
    ("18", "熊家湾", ((110.793, 32.684), "北京路环岛"), "十堰站"),
    ("19", "十堰东站公交枢纽", ((110.858, 32.660),), "机场"),
    ("20", "西城公交首末站", ("张湾", "六堰"), "东城公交首末站"),
    ("21", "红卫公交首末站", ("张湾", "六堰", "北京路环岛"), "十堰东站公交枢纽"),
    ("22", "张湾", ((110.788, 32.620), "茅箭"), "白浪公交首末站"),
    ("23", "东城公交首末站", ((110.836, 32.684), (110.814, 32.678)), "熊家湾"),
    ("24", "花果公交首末站", ("西城", (110.750, 32.677)), "熊家湾"),
    ("25", "十堰站", ("大川路口",), "大川"),
    ("39", "发展大道公交首末站", ("熊家湾", "东城"), "白浪公交首末站"),
)
#: County lines: city terminal -> county bus station.
COUNTY_LINES: Final = (
    ("K1", "发展大道公交首末站", "郧阳汽车站", "郧阳"),
    ("K2", "五堰公交首末站", "丹江口汽车站", "丹江口"),
    ("K3", "发展大道公交首末站", "郧西县高速客运站", "郧西"),
    ("K4", "发展大道公交首末站", "竹山汽车站", "竹山"),
    ("K5", "发展大道公交首末站", "竹溪汽车站", "竹溪"),
    ("K6", "五堰公交首末站", "房县汽车站", "房县"),
    ("K7", "五堰公交首末站", "武当山汽车站", "武当山"),
)

#: Places (place=*): (name, name:en, place, lon, lat, source).
PLACES: Final = (
    ("十堰市", "Shiyan", "city", 110.783, 32.649, "A01 S17 H"),
    ("茅箭区", "Maojian District", "suburb", 110.781, 32.647, "A02 S17 H"),
    ("张湾区", "Zhangwan District", "suburb", 110.767, 32.655, "A03 S17 H"),
    ("十堰经济技术开发区", "Shiyan ETDZ", "suburb", 110.860, 32.615, "A11 K L"),
    ("郧阳区", "Yunyang", "town", 110.807, 32.840, "A04 S17 H"),
    ("丹江口市", "Danjiangkou", "town", 111.508, 32.541, "A05 S17 H"),
    ("郧西县", "Yunxi", "town", 110.421, 32.993, "A06 S17 H"),
    ("竹山县", "Zhushan", "town", 110.225, 32.228, "A07 S17 H"),
    ("竹溪县", "Zhuxi", "town", 109.712, 32.318, "A08 S17 H"),
    ("房县", "Fangxian", "town", 110.737, 32.057, "A09 S17 H"),
    ("武当山", "Wudangshan", "town", 111.010, 32.455, "A10 K M"),
    ("淅川县", "Xichuan (Henan)", "town", 111.490, 33.140, "B05 K M"),
    ("五堰", "Wuyan", "neighbourhood", 110.790, 32.640, "§5 S19 L"),
    ("六堰", "Liuyan", "neighbourhood", 110.800, 32.640, "§5 S19 L"),
    ("红卫", "Hongwei", "neighbourhood", 110.700, 32.640, "§5 S19 VL"),
    ("花果", "Huaguo", "neighbourhood", 110.660, 32.630, "§5 S19 VL"),
    ("白浪", "Bailang", "neighbourhood", 110.870, 32.610, "§5 S19 L"),
    ("熊家湾", "Xiongjiawan", "neighbourhood", 110.780, 32.680, "§5 S23 VL"),
    ("东城", "Dongcheng", "neighbourhood", 110.820, 32.660, "§5 K VL"),
    ("西城开发区", "Xicheng", "neighbourhood", 110.660, 32.680, "§5 S7/S23 VL"),
    ("汉江路", "Hanjianglu", "quarter", 110.795, 32.705, "§5 S20 L"),
    ("柏林", "Bailin", "quarter", 110.650, 32.690, "§2b S7 L"),
    ("六里坪镇", "Liuliping", "village", 110.920, 32.485, "§2a S5 L"),
    ("黄龙镇", "Huanglong", "village", 110.550, 32.712, "§2b S7 L"),
    ("鲍峡镇", "Baoxia", "village", 110.380, 32.765, "§2b S8 L"),
    ("胡家营镇", "Hujiaying", "village", 110.210, 32.810, "§2b S18 M"),
    ("茶店镇", "Chadian", "village", 110.860, 32.735, "§2c S16 VL"),
    ("柳陂镇", "Liubei", "village", 110.752, 32.785, "§2a S1 L"),
    ("青曲镇", "Qingqu", "village", 110.580, 32.880, "§2a S1 L"),
    ("香口乡", "Xiangkou", "village", 110.490, 32.955, "§2a S1 L"),
    ("上津镇", "Shangjin", "village", 110.036, 33.136, "B07 S26 M"),
    ("官山镇", "Guanshan", "village", 110.985, 32.305, "§2c S5 L"),
    ("土城镇", "Tucheng", "village", 110.835, 32.190, "§2c S5 L"),
    ("军店镇", "Jundian", "village", 110.500, 32.130, "§2d S5 VL"),
    ("宝丰镇", "Baofeng", "village", 109.950, 32.272, "§2d S34 VL"),
    ("均县镇", "Junxian", "village", 110.980, 32.595, "§4 S12 VL"),
    ("龙山镇", "Longshan", "village", 111.350, 32.560, "§4 S14 L"),
    ("凉水河镇", "Liangshuihe", "village", 111.420, 32.618, "§4 S14 L"),
    ("习家店镇", "Xijiadian", "village", 111.280, 32.705, "§4 S16 VL"),
    ("茨家岭", "Cijialing", "village", 110.950, 32.900, "§6 S16 L"),
    ("大川镇", "Dachuan", "village", 110.840, 32.550, "§6 M"),
)

#: Plants and freight sites: (name, name:en, tags, lon, lat, half-size m (x, y), source).
INDUSTRY: Final = (
    (
        "东风商用车总装厂",
        "DFCV assembly plant",
        _t(landuse="industrial", man_made="works", operator="东风商用车"),
        110.750,
        32.650,
        (450, 250),
        "§5 S19 VL (总装 cluster)",
    ),
    (
        "东风商用车发动机厂",
        "DFCV engine plant",
        _t(landuse="industrial", man_made="works", operator="东风商用车"),
        110.690,
        32.636,
        (350, 200),
        "§5 S19 VL (发动机 cluster)",
    ),
    (
        "东风商用车车桥厂",
        "DFCV axle plant",
        _t(landuse="industrial", man_made="works", operator="东风商用车"),
        110.840,
        32.622,
        (350, 200),
        "§5 S19 VL (车桥 cluster)",
    ),
    (
        "东风商用车冲压厂",
        "DFCV stamping plant",
        _t(landuse="industrial", man_made="works", operator="东风商用车"),
        110.727,
        32.648,
        (300, 180),
        "§5 S19 VL (冲压 cluster)",
    ),
    (
        "东风商用车重卡新工厂",
        "DFCV new heavy-truck plant",
        _t(landuse="industrial", man_made="works", operator="东风商用车"),
        110.660,
        32.688,
        (500, 300),
        "§5 hb reports/S7 VL (十堰工业新区)",
    ),
    (
        "十堰经济技术开发区工业园",
        "Shiyan ETDZ industrial park",
        _t(landuse="industrial"),
        110.862,
        32.606,
        (450, 250),
        "A11 K L",
    ),
    (
        "十堰生产服务型国家物流枢纽",
        "Shiyan national logistics hub (production-service)",
        _t(
            landuse="industrial",
            industrial="logistics",
            note="location not found in sources; schematic placement at 六里坪/武当山站 (rail "
            "区段站, G70 x G59 junction)",
        ),
        110.930,
        32.475,
        (450, 300),
        "S24 (position K)",
    ),
    (
        "十堰站货场",
        "Shiyan station freight yard",
        _t(landuse="railway", railway="yard"),
        110.762,
        32.633,
        (300, 120),
        "§5 factpedia/K L",
    ),
    (
        "胡家营站",
        "Hujiaying freight station",
        _t(landuse="railway", railway="yard"),
        110.2118,
        32.8103,
        (250, 100),
        "§5 S18 H",
    ),
)
#: Stations (nodes): (name, name:en, railway, lon, lat, source).
STATIONS: Final = (
    ("十堰站", "Shiyan", "station", 110.765, 32.636, "§5 L"),
    ("十堰东站", "Shiyan East", "station", 110.800, 32.710, "§5 S20 L"),
    ("武当山站", "Wudangshan", "station", 110.920, 32.480, "§5 S21 L"),
    ("武当山西站", "Wudangshan West", "station", 110.980, 32.470, "§5 L"),
    ("丹江口站", "Danjiangkou", "station", 111.430, 32.480, "§5 S21 L"),
)
#: Fuel stations (schematic placements along main roads and in towns).
FUEL: Final = (
    (110.672, 32.632),
    (110.712, 32.636),
    (110.755, 32.644),
    (110.796, 32.655),
    (110.828, 32.640),
    (110.860, 32.618),
    (110.790, 32.690),
    (110.800, 32.740),
    (110.812, 32.845),
    (111.500, 32.548),
    (110.425, 32.990),
    (110.230, 32.225),
    (109.715, 32.315),
    (110.740, 32.055),
    (111.015, 32.452),
    (110.925, 32.490),
    (110.555, 32.712),
    (111.495, 33.135),
)
#: Public charging stations (schematic placements; the West terminal has 15 chargers, S22).
CHARGING: Final = (
    ("发展大道首末站充电站", 110.721, 32.671, "15"),
    ("五堰充电站", 110.793, 32.646, "8"),
    ("东城充电站", 110.825, 32.653, "10"),
    ("白浪充电站", 110.866, 32.615, "8"),
    ("十堰东站充电站", 110.804, 32.708, "12"),
)


# =====================================================================================
# Geometry
# =====================================================================================


def _resample(fine: np.ndarray, spacing_m: float) -> np.ndarray:
    """Points every ~``spacing_m`` along a polyline (ends kept)."""
    seg = np.hypot(*np.diff(fine, axis=0).T)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(1, round(s[-1] / spacing_m))
    t = np.linspace(0.0, s[-1], n + 1)
    return np.column_stack([np.interp(t, s, fine[:, 0]), np.interp(t, s, fine[:, 1])])


def _wiggle(p: np.ndarray, q: np.ndarray, amp: float, halfwave_m: float) -> np.ndarray:
    """Fine polyline from ``p`` to ``q`` with a sine lateral offset of amplitude ``amp``."""
    d = q - p
    length = float(np.hypot(*d))
    if length < 1.0:
        return np.vstack([p, q])
    k = max(1, round(length / halfwave_m))
    n = max(8, math.ceil(length / 25.0))
    t = np.linspace(0.0, 1.0, n + 1)
    normal = np.array([-d[1], d[0]]) / length
    off = amp * np.sin(np.pi * k * t)
    return p + np.outer(t, d) + np.outer(off, normal)


def curved_segment(
    p: np.ndarray,
    q: np.ndarray,
    target_m: float | None,
    spacing_m: float,
    halfwave_m: float,
    sign: float,
) -> np.ndarray:
    """Fine polyline from ``p`` to ``q`` whose resampled length is ``target_m``.

    The lateral offset is a whole number of sine half-waves (zero at both ends, so the
    waypoints stay where they are); its amplitude is found by bisection.  Without a
    target, or when the straight line is already longer, the segment is straight.
    """
    straight = _wiggle(p, q, 0.0, halfwave_m)
    base = haversine_len(_resample(straight, spacing_m))
    if target_m is None or target_m <= base * 1.001:
        return straight
    length = float(np.hypot(*(q - p)))
    k = max(1, round(length / halfwave_m))
    lo, hi = 0.0, 0.8 * length / k
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        got = haversine_len(_resample(_wiggle(p, q, sign * mid, halfwave_m), spacing_m))
        if got < target_m:
            lo = mid
        else:
            hi = mid
    return _wiggle(p, q, sign * 0.5 * (lo + hi), halfwave_m)


def allocate_targets(
    straight_m: list[float], groups: tuple[tuple[int, int, float], ...], default_ratio: float
) -> list[float]:
    """Per-segment length targets from sourced lengths of groups of segments.

    Segments of a group share its length in proportion to their straight length; other
    segments get ``default_ratio`` times their straight length.  Where a straight segment
    is already longer than its share, it stays straight and the excess is taken from the
    other sourced segments of the corridor (never below their straight length), so the
    sourced total of the corridor is met whenever the geometry allows it.
    """
    targets = [s * default_ratio for s in straight_m]
    share: dict[int, float] = {}
    for first, last, km in groups:
        idx = range(first, last)
        total = sum(straight_m[i] for i in idx)
        for i in idx:
            share[i] = km * 1000.0 * straight_m[i] / total
    excess = sum(straight_m[i] - v for i, v in share.items() if v < straight_m[i])
    slack = {i: v - straight_m[i] for i, v in share.items() if v > straight_m[i]}
    slack_total = sum(slack.values())
    for i, v in share.items():
        cut = min(excess, slack_total) * slack[i] / slack_total if i in slack else 0.0
        targets[i] = max(v - cut, straight_m[i])
    return targets


@dataclass
class Centreline:
    """A fine polyline with arc length, for sampling points and normals at distance s."""

    xy: np.ndarray
    s: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        """Compute the arc length."""
        seg = np.hypot(*np.diff(self.xy, axis=0).T)
        self.s = np.concatenate([[0.0], np.cumsum(seg)])

    @property
    def length(self) -> float:
        """Length in local metres."""
        return float(self.s[-1])

    def point(self, s: float) -> np.ndarray:
        """Point at arc length ``s``."""
        return np.array([np.interp(s, self.s, self.xy[:, 0]), np.interp(s, self.s, self.xy[:, 1])])

    def normal(self, s: float) -> np.ndarray:
        """Left unit normal at arc length ``s``."""
        a = self.point(max(0.0, s - 30.0))
        b = self.point(min(self.length, s + 30.0))
        d = b - a
        n = np.hypot(*d)
        return np.array([-d[1], d[0]]) / n if n > 0 else np.array([0.0, 1.0])

    def project(self, xy: np.ndarray) -> float:
        """Arc length of the fine point nearest to ``xy``."""
        i = int(np.argmin(np.hypot(*(self.xy - xy).T)))
        return float(self.s[i])


# =====================================================================================
# The builder
# =====================================================================================

DRIVABLE_SPEED_KPH: Final = MappingProxyType(
    {  # bus routing inside the builder only
        "motorway": 100.0,
        "motorway_link": 50.0,
        "trunk": 60.0,
        "primary": 50.0,
        "secondary": 40.0,
        "tertiary": 35.0,
        "residential": 25.0,
        "unclassified": 30.0,
        "service": 20.0,
    }
)


@dataclass
class Line:
    """A way under construction."""

    nodes: list[int]
    tags: dict[str, str]
    kind: str  # street | overlay | fixed


def _point_segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance from each point to the nearest of the segments a-b (all local metres)."""
    best = np.full(points.shape[0], np.inf)
    d = b - a
    dd = np.maximum((d * d).sum(axis=1), 1e-9)
    for start in range(0, a.shape[0], 512):
        sl = slice(start, start + 512)
        rel = points[:, None, :] - a[None, sl, :]
        t = np.clip((rel * d[None, sl, :]).sum(axis=2) / dd[None, sl], 0.0, 1.0)
        proj = a[None, sl, :] + t[:, :, None] * d[None, sl, :]
        dist = np.hypot(*(points[:, None, :] - proj).transpose(2, 0, 1))
        best = np.minimum(best, dist.min(axis=1))
    return best


class Builder:
    """Accumulates nodes, ways and relations and writes them as OSM XML."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng(SEED)
        self.next_node = ID_BASE
        self.next_way = ID_BASE
        self.next_rel = ID_BASE
        self.xy: dict[int, np.ndarray] = {}
        self.node_tags: dict[int, dict[str, str]] = {}
        self.lines: list[Line] = []
        self.relations: list[tuple[list[tuple[str, int, str]], dict[str, str]]] = []
        self.anchors: dict[str, int] = {}
        self.report: list[str] = []
        self.join_pool: list[int] = []
        self.specials: dict[str, dict[str, float]] = {}
        self.carriageways: dict[str, tuple[dict[float, int], dict[float, int]]] = {}
        self.ic_targets: list[tuple[str, str]] = []

    # --- primitives ----------------------------------------------------------------
    def node(self, xy: np.ndarray, tags: dict[str, str] | None = None) -> int:
        """Create a node at local metres ``xy``."""
        nid = self.next_node
        self.next_node += 1
        self.xy[nid] = np.asarray(xy, dtype=float)
        if tags:
            self.node_tags[nid] = dict(tags)
        return nid

    def node_ll(self, lon: float, lat: float, tags: dict[str, str] | None = None) -> int:
        """Create a node at ``(lon, lat)``."""
        return self.node(to_xy(lon, lat), tags)

    def line(self, nodes: list[int], tags: dict[str, str], kind: str = "fixed") -> Line:
        """Register a way."""
        line = Line(list(nodes), dict(tags), kind)
        self.lines.append(line)
        return line

    def anchor(self, name: str) -> int:
        """Return the shared road node of a named place (created on first use)."""
        if name not in self.anchors:
            lon, lat, _ = ANCHORS[name]
            self.anchors[name] = self.node_ll(lon, lat)
        return self.anchors[name]

    def nearest_node(self, xy: np.ndarray, pool: list[int]) -> int:
        """Return the node of ``pool`` nearest to ``xy``."""
        coords = np.array([self.xy[n] for n in pool])
        return pool[int(np.argmin(np.hypot(*(coords - xy).T)))]

    # --- expressways -------------------------------------------------------------------
    def build_expressways(self) -> None:
        """Dual carriageways, interchanges, junctions, service areas, border stubs."""
        for spec in EXPRESSWAYS:
            self._expressway(spec)

    def _special(self, key: str, table: dict[float, int], name: str) -> int:
        """Carriageway node of expressway ``key`` nearest to the special position ``name``."""
        s = self.specials[key][name]
        return table[min(table, key=lambda x: abs(x - s))]

    def _expressway(self, spec: Expressway) -> None:  # noqa: PLR0912
        """Build one expressway corridor."""
        wps = spec.waypoints
        pts = [to_xy(w.lon, w.lat) for w in wps]
        straight = [haversine_len(np.vstack([a, b])) for a, b in itertools.pairwise(pts)]
        targets = allocate_targets(straight, spec.groups, spec.default_ratio)
        fine_parts = []
        for i, (a, b) in enumerate(itertools.pairwise(pts)):
            part = curved_segment(a, b, targets[i], 700.0, 5000.0, 1.0 if i % 2 else -1.0)
            fine_parts.append(part if i == 0 else part[1:])
        cl = Centreline(np.vstack(fine_parts))
        wp_s = [cl.project(p) for p in pts]
        wp_s[0], wp_s[-1] = 0.0, cl.length
        total = cl.length
        for first, last, km in spec.groups:
            sub = cl.xy[(cl.s >= wp_s[first] - 1e-6) & (cl.s <= wp_s[last] + 1e-6)]
            built = haversine_len(_resample(sub, 700.0)) / 1000.0
            self.report.append(
                f"| {spec.ref or spec.key} | {wps[first].name} → {wps[last].name} | {km:.3f} | "
                f"{built:.1f} | {(built / km - 1) * 100:+.1f} % |"
            )
        if len(spec.groups) > 1:
            a, b = spec.groups[0][0], spec.groups[-1][1]
            sub = cl.xy[(cl.s >= wp_s[a] - 1e-6) & (cl.s <= wp_s[b] + 1e-6)]
            built = haversine_len(_resample(sub, 700.0)) / 1000.0
            km = sum(g[2] for g in spec.groups)
            self.report.append(
                f"| {spec.ref or spec.key} | **corridor total** | {km:.3f} | {built:.1f} | "
                f"{(built / km - 1) * 100:+.1f} % |"
            )
        # special positions along the corridor (arc length, local metres)
        specials: dict[str, float] = {}
        for w, s in zip(wps, wp_s, strict=True):
            if "ic" in w.kind.split("+"):
                specials[f"IC{w.name}-"] = s - 400.0
                specials[f"IC{w.name}+"] = s + 400.0
            if "jct" in w.kind.split("+"):
                specials[f"J{w.name}-"] = s - 700.0
                specials[f"J{w.name}+"] = s + 700.0
        s_first = 600.0 if wps[0].kind == "tee" else 300.0
        s_last = total - (600.0 if wps[-1].kind == "tee" else 300.0)
        specials["START"], specials["END"] = s_first, s_last
        sas = [sa for sa in SERVICE_AREAS if sa.road == spec.key]
        junctions = [s for w, s in zip(wps, wp_s, strict=True) if w.kind != "point"]
        sa_pos: dict[str, float] = {}
        for sa in sas:
            s = cl.project(to_xy(sa.lon, sa.lat))
            near = [p for p in junctions if abs(p - s) < 1500.0]
            if near:  # keep the service-area ramps clear of the interchange ramps
                s = near[0] + (1600.0 if near[0] + 1600.0 < s_last - 500.0 else -1600.0)
            s = min(max(s, s_first + 500.0), s_last - 500.0)
            sa_pos[sa.name] = s
            specials[f"SA{sa.name}-"] = s - 250.0
            specials[f"SA{sa.name}+"] = s + 250.0
        self.specials[spec.key] = specials
        sp = np.array(sorted(specials.values()))
        regular = [float(s) for s in np.arange(s_first, s_last, 700.0)]
        positions = sorted(
            {round(float(s), 1) for s in sp}
            | {round(s, 1) for s in regular if np.min(np.abs(sp - s)) > 150.0}
        )
        positions = [s for s in positions if s_first - 0.1 <= s <= s_last + 0.1]
        # carriageways: forward (increasing s) on the right, backward on the left
        fwd: dict[float, int] = {}
        bwd: dict[float, int] = {}
        for s in positions:
            p, n = cl.point(s), cl.normal(s)
            fwd[s] = self.node(p - 20.0 * n)
            bwd[s] = self.node(p + 20.0 * n)
        self.carriageways[spec.key] = (fwd, bwd)
        # carriageway ways, split where the section (name, speed limit) changes
        cuts = [wp_s[i] for i, *_ in spec.sections[1:]]
        groups: dict[int, list[int]] = {}
        for idx in range(len(positions) - 1):
            sec = sum(1 for c in cuts if positions[idx] >= c)
            groups.setdefault(sec, []).append(idx)
        for sec, idxs in sorted(groups.items()):
            _, name, name_en, speed = spec.sections[sec]
            keys = positions[idxs[0] : idxs[-1] + 2]
            tags = {
                "highway": "motorway",
                "oneway": "yes",
                "name": name,
                "name:en": name_en,
                "maxspeed": str(speed),
                "lanes": "2",
            }
            if spec.ref:
                tags["ref"] = spec.ref
            self.line([fwd[s] for s in keys], tags)
            self.line([bwd[s] for s in reversed(keys)], tags)
        base = {
            "highway": "motorway",
            "name": spec.sections[0][1],
            "name:en": spec.sections[0][2],
            "maxspeed": "60",  # the two-way boundary sections and the merges onto them
        }
        if spec.ref:
            base["ref"] = spec.ref
        # ends: two-way stub to the boundary, or junction links onto another expressway
        for end, w in (("START", wps[0]), ("END", wps[-1])):
            s = positions[0] if end == "START" else positions[-1]
            if w.kind == "border":
                merge = self.node(cl.point(s))
                border = self.node(cl.point(0.0 if end == "START" else total))
                stub = {**base, "oneway": "no", "note": "two-way section to the boundary"}
                if end == "START":
                    self.line([bwd[s], merge], {**base, "oneway": "yes"})
                    self.line([merge, fwd[s]], {**base, "oneway": "yes"})
                    self.line([border, merge], stub)
                else:
                    self.line([fwd[s], merge], {**base, "oneway": "yes"})
                    self.line([merge, bwd[s]], {**base, "oneway": "yes"})
                    self.line([merge, border], stub)
            elif w.kind == "tee":
                other, jct = (w.target or ":").split(":")
                x_in = fwd[s] if end == "END" else bwd[s]
                x_out = bwd[s] if end == "END" else fwd[s]
                y_f, y_b = self.carriageways[other]
                link = {"highway": "motorway_link", "oneway": "yes", "maxspeed": "60"}
                minus, plus = f"J{jct}-", f"J{jct}+"
                self.line([x_in, self._special(other, y_f, plus)], link)
                self.line([x_in, self._special(other, y_b, minus)], link)
                self.line([self._special(other, y_f, minus), x_out], link)
                self.line([self._special(other, y_b, plus), x_out], link)
        # interchanges: a local node beside the corridor and four ramps
        ramp = {"highway": "motorway_link", "oneway": "yes", "maxspeed": "40"}
        for w, s in zip(wps, wp_s, strict=True):
            if "ic" not in w.kind.split("+"):
                continue
            side = 1.0
            if w.target is not None:
                t = to_xy(*ANCHORS[w.target][:2])
                side = 1.0 if float(np.dot(t - cl.point(s), cl.normal(s))) >= 0 else -1.0
            local = self.node(cl.point(s) + side * 250.0 * cl.normal(s))
            self.anchors[f"IC:{w.name}"] = local
            if w.target is not None:
                self.ic_targets.append((w.name, w.target))
            self.line([self._special(spec.key, fwd, f"IC{w.name}-"), local], ramp)
            self.line([local, self._special(spec.key, fwd, f"IC{w.name}+")], ramp)
            self.line([self._special(spec.key, bwd, f"IC{w.name}+"), local], ramp)
            self.line([local, self._special(spec.key, bwd, f"IC{w.name}-")], ramp)
        for sa in sas:
            self._service_area(spec.key, sa, cl, sa_pos[sa.name], fwd, bwd)

    def _service_area(
        self,
        key: str,
        sa: SA,
        cl: Centreline,
        s: float,
        fwd: dict[float, int],
        bwd: dict[float, int],
    ) -> None:
        """Add a facility beside the corridor and an access loop from each carriageway."""
        p, n = cl.point(s), cl.normal(s)
        t = cl.point(min(cl.length, s + 60.0)) - cl.point(max(0.0, s - 60.0))
        t = t / np.hypot(*t)
        centre = p - 140.0 * n
        tags = {"highway": sa.kind, "name": sa.name, "name:en": sa.name_en}
        if sa.schematic_placement:
            tags["note"] = "schematic placement, not a sourced position"
        if sa.geom == "area":
            corners = [
                centre + a * 110.0 * t + b * 55.0 * n
                for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))
            ]
            ring = [self.node(c) for c in corners]
            self.line([*ring, ring[0]], {**tags, "area": "yes"})
        else:
            self.node(centre, tags)
        if sa.kind == "services":
            self.node(centre - 30.0 * n, {"amenity": "fuel", "name": f"{sa.name}加油站"})
        if sa.charging:
            self.node(
                centre + 40.0 * t,
                {"amenity": "charging_station", "capacity": "6", "name": f"{sa.name}充电站"},
            )
        access = {"highway": "service", "oneway": "yes", "maxspeed": "30", "name": f"{sa.name}匝道"}
        a1 = self.node(centre - 80.0 * t + 70.0 * n)
        a2 = self.node(centre + 80.0 * t + 70.0 * n)
        self.line(
            [
                self._special(key, fwd, f"SA{sa.name}-"),
                a1,
                a2,
                self._special(key, fwd, f"SA{sa.name}+"),
            ],
            access,
        )
        b1 = self.node(centre + 80.0 * t - 70.0 * n)
        b2 = self.node(centre - 80.0 * t - 70.0 * n)
        self.line(
            [
                self._special(key, bwd, f"SA{sa.name}+"),
                b1,
                b2,
                self._special(key, bwd, f"SA{sa.name}-"),
            ],
            access,
        )

    # --- water ---------------------------------------------------------------------------
    def build_water(self) -> None:
        """Fairways, pier spurs, ferry routes and pier nodes."""
        fairway_nodes: dict[str, list[int]] = {}
        for key, name, name_en, waypoints in FAIRWAYS:
            nodes: list[int] = []
            pts: list[np.ndarray] = []
            for w in waypoints:
                if w[0] == "on":
                    start = self.nearest_node(to_xy(w[2], w[3]), fairway_nodes[w[1]])
                    nodes.append(start)
                    pts.append(self.xy[start])
                else:
                    pts.append(to_xy(*w))
            first_given = bool(nodes)
            if not first_given:
                nodes.append(self.node(pts[0]))
            for i, (a, b) in enumerate(itertools.pairwise(pts)):
                fine = curved_segment(
                    a,
                    b,
                    haversine_len(np.vstack([a, b])) * 1.03,
                    1000.0,
                    4000.0,
                    1.0 if i % 2 else -1.0,
                )
                res = _resample(fine, 1000.0)
                nodes.extend(self.node(q) for q in res[1:])
            fairway_nodes[key] = nodes
            self.line(nodes, {"waterway": "fairway", "name": name, "name:en": name_en})
        pool = [n for nodes in fairway_nodes.values() for n in nodes]
        for pier in PIERS:
            tags = {"name": pier.name, "name:en": pier.name_en, **dict(pier.tags)}
            pnode = self.node_ll(pier.lon, pier.lat, tags)
            self.anchors[f"PIER:{pier.name}"] = pnode
            start = self.nearest_node(self.xy[pnode], pool)
            spur = _resample(np.vstack([self.xy[start], self.xy[pnode]]), 1000.0)
            nodes = [start, *(self.node(q) for q in spur[1:-1]), pnode]
            self.line(
                nodes,
                {
                    "waterway": "fairway",
                    "name": f"{pier.name}航道",
                    "name:en": f"{pier.name_en} channel",
                },
            )
        for name, name_en, a, b in FERRIES:
            na, nb = self.anchors[f"PIER:{a}"], self.anchors[f"PIER:{b}"]
            mid = _resample(np.vstack([self.xy[na], self.xy[nb]]), 1500.0)
            nodes = [na, *(self.node(q) for q in mid[1:-1]), nb]
            self.line(nodes, {"route": "ferry", "name": name, "name:en": name_en})

    # --- ordinary roads -----------------------------------------------------------------
    def _resolve(self, w: object) -> tuple[np.ndarray, int]:
        """Waypoint -> (local metres, node id)."""
        if isinstance(w, str):
            node = self.anchor(w)
        elif isinstance(w, tuple) and len(w) == 3 and w[0] == "join":
            node = self.nearest_node(to_xy(w[1], w[2]), self.join_pool)
        elif isinstance(w, tuple) and len(w) == 2:
            node = self.node_ll(float(w[0]), float(w[1]))
        else:
            msg = f"bad waypoint {w!r}"
            raise ValueError(msg)
        return self.xy[node], node

    def road(self, spec: RoadSpec) -> Line:
        """Build one ordinary road through its waypoints (gentle curvature if asked)."""
        resolved = [self._resolve(w) for w in spec.waypoints]
        pts = [xy for xy, _ in resolved]
        straight = [haversine_len(np.vstack([a, b])) for a, b in itertools.pairwise(pts)]
        if spec.target_km is not None:
            targets = allocate_targets(straight, ((0, len(straight), spec.target_km),), 1.0)
        else:
            targets = [s * spec.ratio for s in straight]
        nodes = [resolved[0][1]]
        built_m = 0.0
        for i, (a, b) in enumerate(itertools.pairwise(pts)):
            fine = curved_segment(
                a, b, targets[i], spec.spacing_m, spec.halfwave_m, 1.0 if i % 2 else -1.0
            )
            res = _resample(fine, spec.spacing_m)
            built_m += haversine_len(res)
            nodes.extend(self.node(q) for q in res[1:-1])
            nodes.append(resolved[i + 1][1])
        if spec.target_km is not None:
            self.report.append(
                f"| {dict(spec.tags).get('ref', spec.key)} | {spec.key} | {spec.target_km:.1f} | "
                f"{built_m / 1000:.1f} | {(built_m / 1000 / spec.target_km - 1) * 100:+.1f} % |"
            )
        line = self.line(nodes, dict(spec.tags), "overlay")
        self.join_pool.extend(nodes)
        return line

    def build_roads(self) -> None:
        """Urban arterials, national and provincial roads, connectors, pier roads."""
        for spec in URBAN_ROADS + RURAL_ROADS + LINK_ROADS:
            self.road(spec)
        for ic, target in self.ic_targets:
            spec = RoadSpec(
                f"ic-{ic}",
                _t(
                    highway="secondary",
                    name=f"{ic}互通连接线",
                    name_en=f"{ic} interchange link road",
                    maxspeed="60",
                ),
                (f"IC:{ic}", target),
                spacing_m=300.0,
            )
            self.road(spec)
        for pier in PIERS:
            spec = RoadSpec(
                f"pier-{pier.name}",
                _t(
                    highway="unclassified",
                    name=f"{pier.name}进港路",
                    name_en=f"{pier.name_en} access road",
                ),
                (f"PIER:{pier.name}", pier.anchor),
                spacing_m=300.0,
            )
            self.road(spec)
        for name, name_en, _, lon, lat, _ in STATIONS:  # stations away from any road
            xy = to_xy(lon, lat)
            if np.hypot(*(self.xy[self.nearest_node(xy, self.join_pool)] - xy)) > 400.0:
                spec = RoadSpec(
                    f"station-{name}",
                    _t(
                        highway="unclassified",
                        name=f"{name}进站路",
                        name_en=f"{name_en} station road",
                    ),
                    ((lon, lat - 0.0005), ("join", lon, lat)),
                    spacing_m=300.0,
                )
                self.road(spec)

    # --- street grids ---------------------------------------------------------------------
    def lattice(
        self,
        inside: object,
        bbox: tuple[float, float, float, float],
        spacing: tuple[float, float],
        prefix: str,
        name_en_prefix: str,
    ) -> None:
        """Add a jittered street grid over ``bbox`` (local metres) where ``inside`` holds."""
        dx, dy = spacing
        xs = np.arange(bbox[0], bbox[2] + dx, dx)
        ys = np.arange(bbox[1], bbox[3] + dy, dy)
        nx_, ny_ = xs.size, ys.size
        jitter = self.rng.uniform(-0.17, 0.17, size=(nx_, ny_, 2)) * np.array([dx, dy])
        grid = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1) + jitter
        keep = inside(grid.reshape(-1, 2)).reshape(nx_, ny_)  # type: ignore[operator]
        ids = np.full((nx_, ny_), -1, dtype=np.int64)
        for j in range(ny_):
            for i in range(nx_):
                if keep[i, j]:
                    ids[i, j] = self.node(grid[i, j])
        h = keep[:-1, :] & keep[1:, :]
        v = keep[:, :-1] & keep[:, 1:]
        deg = np.zeros((nx_, ny_), dtype=int)
        deg[:-1, :] += h
        deg[1:, :] += h
        deg[:, :-1] += v
        deg[:, 1:] += v
        drop_h = (self.rng.random(h.shape) < 0.08) & (deg[:-1, :] >= 3) & (deg[1:, :] >= 3)
        drop_v = (self.rng.random(v.shape) < 0.08) & (deg[:, :-1] >= 3) & (deg[:, 1:] >= 3)
        h &= ~drop_h
        v &= ~drop_v
        for j in range(ny_):
            self._grid_streets(
                [ids[i, j] for i in range(nx_)],
                h[:, j],
                j,
                "纬",
                "Wei",
                prefix,
                name_en_prefix,
                oneway_mod=(6, 3),
            )
        for i in range(nx_):
            self._grid_streets(
                [ids[i, j] for j in range(ny_)],
                v[i, :],
                i,
                "经",
                "Jing",
                prefix,
                name_en_prefix,
                oneway_mod=(7, 4),
            )

    def _grid_streets(
        self,
        nodes: list[int],
        present: np.ndarray,
        k: int,
        zh: str,
        en: str,
        prefix: str,
        name_en_prefix: str,
        oneway_mod: tuple[int, int],
    ) -> None:
        """Turn the runs of present grid edges along one row / column into streets."""
        run: list[int] = []
        runs: list[list[int]] = []
        for idx, ok in enumerate(present):
            if ok:
                if not run:
                    run = [nodes[idx]]
                run.append(nodes[idx + 1])
            elif run:
                runs.append(run)
                run = []
        if run:
            runs.append(run)
        for r in runs:
            if k % 5 == 0:
                tags = {
                    "highway": "tertiary",
                    "name": f"{prefix}{zh}{k // 5 + 1}路",
                    "name:en": f"{name_en_prefix}{en} {k // 5 + 1} Road",
                    "maxspeed": "40",
                    "note": "schematic street",
                }
            else:
                tags = {"highway": "residential", "note": "schematic street"}
                if k % oneway_mod[0] == oneway_mod[1] and len(r) >= 4:
                    tags["oneway"] = "yes"
                    if (k // oneway_mod[0]) % 2:
                        r = r[::-1]  # noqa: PLW2901
            self.line(r, tags, "street")

    def build_grids(self) -> None:
        """Add the central city grid (valley mask) and the town grids (ellipses)."""
        capsules = [(np.array([to_xy(*p) for p in pts]), hw) for pts, hw in CITY_VALLEY]

        def in_valley(points: np.ndarray) -> np.ndarray:
            ok = np.zeros(points.shape[0], dtype=bool)
            for poly, hw in capsules:
                d = _point_segment_distance(points, poly[:-1], poly[1:])
                ok |= d <= hw
            return ok

        allpts = np.vstack([poly for poly, _ in capsules])
        pad = max(hw for _, hw in capsules)
        bbox = (
            allpts[:, 0].min() - pad,
            allpts[:, 1].min() - pad,
            allpts[:, 0].max() + pad,
            allpts[:, 1].max() + pad,
        )
        self.lattice(in_valley, bbox, CITY_SPACING_M, "", "")
        for town in TOWNS:
            c = to_xy(town.lon, town.lat)

            def in_town(points: np.ndarray, c: np.ndarray = c, town: Town = town) -> np.ndarray:
                q = (points - c) / np.array([town.rx_m, town.ry_m])
                return (q * q).sum(axis=1) <= 1.0

            bbox = (c[0] - town.rx_m, c[1] - town.ry_m, c[0] + town.rx_m, c[1] + town.ry_m)
            self.lattice(
                in_town,
                bbox,
                (town.spacing_m, town.spacing_m),
                town.name,
                f"{ANCHORS[town.name][0]:.0f} ",
            )
        self._prune_streets()

    def _prune_streets(self) -> None:
        """Remove grid nodes within 60 m of an ordinary road (the road replaces them)."""
        streets = [ln for ln in self.lines if ln.kind == "street"]
        overlay = [ln for ln in self.lines if ln.kind == "overlay"]
        nodes = sorted({n for ln in streets for n in ln.nodes})
        pts = np.array([self.xy[n] for n in nodes])
        a = np.array([self.xy[u] for ln in overlay for u in ln.nodes[:-1]])
        b = np.array([self.xy[v] for ln in overlay for v in ln.nodes[1:]])
        lo, hi = pts.min(axis=0) - 100.0, pts.max(axis=0) + 100.0
        near = ((np.minimum(a, b) <= hi) & (np.maximum(a, b) >= lo)).all(axis=1)
        dist = _point_segment_distance(pts, a[near], b[near])
        gone = {n for n, d in zip(nodes, dist, strict=True) if d < 60.0}
        for ln in streets:
            ln.nodes = [n for n in ln.nodes if n not in gone]
        self.lines = [ln for ln in self.lines if ln.kind != "street" or len(ln.nodes) >= 2]

    # --- crossings ------------------------------------------------------------------------
    def intersect(self) -> int:  # noqa: PLR0912  (one pass over all crossings)
        """Add a shared node wherever an ordinary road crosses a street or another road."""
        lines = [ln for ln in self.lines if ln.kind in {"street", "overlay"}]
        seg_line, seg_idx, seg_a, seg_b = [], [], [], []
        for li, ln in enumerate(lines):
            for k in range(len(ln.nodes) - 1):
                seg_line.append(li)
                seg_idx.append(k)
                seg_a.append(ln.nodes[k])
                seg_b.append(ln.nodes[k + 1])
        seg_line_a = np.array(seg_line)
        na, nb = np.array(seg_a), np.array(seg_b)
        pa = np.array([self.xy[n] for n in seg_a])
        pb = np.array([self.xy[n] for n in seg_b])
        is_overlay = np.array([lines[li].kind == "overlay" for li in seg_line])
        lo, hi = np.minimum(pa, pb), np.maximum(pa, pb)
        hits = []
        for o in np.flatnonzero(is_overlay):
            cand = np.flatnonzero(
                (lo[:, 0] <= hi[o, 0])
                & (hi[:, 0] >= lo[o, 0])
                & (lo[:, 1] <= hi[o, 1])
                & (hi[:, 1] >= lo[o, 1])
                & (seg_line_a != seg_line_a[o])
                & ~(is_overlay & (np.arange(len(seg_line)) < o))
            )
            if cand.size == 0:
                continue
            cand = cand[
                (na[cand] != na[o])
                & (na[cand] != nb[o])
                & (nb[cand] != na[o])
                & (nb[cand] != nb[o])
            ]
            r = pb[o] - pa[o]
            s = pb[cand] - pa[cand]
            denom = r[0] * s[:, 1] - r[1] * s[:, 0]
            qp = pa[cand] - pa[o]
            with np.errstate(divide="ignore", invalid="ignore"):
                t = (qp[:, 0] * s[:, 1] - qp[:, 1] * s[:, 0]) / denom
                u = (qp[:, 0] * r[1] - qp[:, 1] * r[0]) / denom
            ok = (np.abs(denom) > 1e-6) & (t > 0) & (t < 1) & (u > 0) & (u < 1)
            for c, tt, uu in zip(cand[ok], t[ok], u[ok], strict=True):
                hits.append((int(o), float(tt), int(c), float(uu)))
        inserts: dict[tuple[int, int], list[tuple[float, int]]] = {}
        for o, tt, c, uu in sorted(hits):
            x = pa[o] + tt * (pb[o] - pa[o])
            ends_c = {int(na[c]): pa[c], int(nb[c]): pb[c]}
            ends_o = {int(na[o]): pa[o], int(nb[o]): pb[o]}
            node = None
            for nid, q in ends_c.items():
                if np.hypot(*(q - x)) < 8.0:
                    node = nid
                    inserts.setdefault((seg_line[o], seg_idx[o]), []).append((tt, nid))
                    break
            if node is None:
                for nid, q in ends_o.items():
                    if np.hypot(*(q - x)) < 8.0:
                        node = nid
                        inserts.setdefault((seg_line[c], seg_idx[c]), []).append((uu, nid))
                        break
            if node is None:
                node = self.node(x)
                inserts.setdefault((seg_line[o], seg_idx[o]), []).append((tt, node))
                inserts.setdefault((seg_line[c], seg_idx[c]), []).append((uu, node))
        for li, ln in enumerate(lines):
            out = [ln.nodes[0]]
            for k in range(len(ln.nodes) - 1):
                for _, nid in sorted(inserts.get((li, k), [])):
                    if nid != out[-1]:
                        out.append(nid)
                if ln.nodes[k + 1] != out[-1]:
                    out.append(ln.nodes[k + 1])
            ln.nodes = out
        return len(hits)

    # --- features -------------------------------------------------------------------------
    def build_features(self) -> None:
        """Places, bus terminals, stations, plants, hubs, fuel and charging stations."""
        for name, name_en, place, lon, lat, _ in PLACES:
            self.node_ll(lon, lat, {"place": place, "name": name, "name:en": name_en})
        for name, name_en, lon, lat, _, _ in BUS_STATIONS:
            self.node_ll(lon, lat, {"amenity": "bus_station", "name": name, "name:en": name_en})
        for name, name_en, railway, lon, lat, _ in STATIONS:
            self.node_ll(
                lon,
                lat,
                {
                    "railway": railway,
                    "name": name,
                    "name:en": name_en,
                    "public_transport": "station",
                },
            )
        for name, name_en, tags, lon, lat, (hx, hy), _ in INDUSTRY:
            c = to_xy(lon, lat)
            ring = [
                self.node(c + np.array([a * hx, b * hy]))
                for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1))
            ]
            self.line([*ring, ring[0]], {"name": name, "name:en": name_en, **dict(tags)})
        for k, (lon, lat) in enumerate(FUEL, start=1):
            self.node_ll(
                lon, lat, {"amenity": "fuel", "name": f"加油站{k}", "note": "schematic placement"}
            )
        for name, lon, lat, capacity in CHARGING:
            self.node_ll(
                lon,
                lat,
                {
                    "amenity": "charging_station",
                    "name": name,
                    "capacity": capacity,
                    "note": "schematic placement",
                },
            )
        self.node_ll(
            110.9078,
            32.5917,
            {
                "aeroway": "aerodrome",
                "name": "十堰武当山机场",
                "name:en": "Shiyan Wudangshan Airport",
                "iata": "WDS",
            },
        )

    # --- bus lines --------------------------------------------------------------------------
    def _road_graph(self, allow_motorway: bool) -> dict[int, list[tuple[int, float]]]:
        """Directed adjacency (node -> [(next, seconds)]) of the drivable ways."""
        adj: dict[int, list[tuple[int, float]]] = {}
        for ln in self.lines:
            hw = ln.tags.get("highway")
            if hw not in DRIVABLE_SPEED_KPH:
                continue
            if not allow_motorway and hw.startswith("motorway"):
                continue
            speed = DRIVABLE_SPEED_KPH[hw] / 3.6
            oneway = ln.tags.get("oneway") == "yes"
            for u, v in itertools.pairwise(ln.nodes):
                w = float(np.hypot(*(self.xy[u] - self.xy[v]))) / speed
                adj.setdefault(u, []).append((v, w))
                if not oneway:
                    adj.setdefault(v, []).append((u, w))
        return adj

    @staticmethod
    def _dijkstra(adj: dict[int, list[tuple[int, float]]], a: int, b: int) -> list[int]:
        """Fastest node path from ``a`` to ``b``."""
        dist = {a: 0.0}
        prev: dict[int, int] = {}
        heap = [(0.0, a)]
        while heap:
            d, u = heapq.heappop(heap)
            if u == b:
                break
            if d > dist[u]:
                continue
            for v, w in adj.get(u, ()):
                nd = d + w
                if nd < dist.get(v, math.inf):
                    dist[v] = nd
                    prev[v] = u
                    heapq.heappush(heap, (nd, v))
        if b not in dist:
            msg = f"no route between builder nodes {a} and {b}"
            raise RuntimeError(msg)
        path = [b]
        while path[-1] != a:
            path.append(prev[path[-1]])
        return path[::-1]

    def _place_xy(self, name: object) -> np.ndarray:
        """Coordinates of a named terminal, station, anchor or a (lon, lat) pair."""
        if isinstance(name, tuple):
            return to_xy(*name)
        for row in BUS_STATIONS:
            if row[0] == name:
                return to_xy(row[2], row[3])
        for row in STATIONS:
            if row[0] == name:
                return to_xy(row[3], row[4])
        return to_xy(*ANCHORS[str(name)][:2])

    def build_bus(self) -> None:
        """Bus stops on the roads and one route relation per line."""
        city_adj = self._road_graph(allow_motorway=False)
        county_adj = self._road_graph(allow_motorway=True)
        local_nodes = sorted(city_adj)
        named: dict[int, str] = {}
        for ln in self.lines:
            if ln.tags.get("highway") in DRIVABLE_SPEED_KPH and "name" in ln.tags:
                for n in ln.nodes:
                    named.setdefault(n, ln.tags["name"])
        stop_count: dict[str, int] = {}
        for ref, start, vias, end in CITY_LINES:
            self._bus_line(
                ref,
                [start, *vias, end],
                city_adj,
                local_nodes,
                named,
                stop_count,
                spacing_m=450.0,
                county=False,
            )
        for ref, start, end, town in COUNTY_LINES:
            self._bus_line(
                ref,
                [start, end],
                county_adj,
                local_nodes,
                named,
                stop_count,
                spacing_m=4000.0,
                county=True,
                town=town,
            )

    def _bus_line(
        self,
        ref: str,
        places: list,
        adj: dict,
        local_nodes: list[int],
        named: dict[int, str],
        stop_count: dict[str, int],
        *,
        spacing_m: float,
        county: bool,
        town: str = "",
    ) -> None:
        """One bus line: route through the places, stops every ``spacing_m``."""
        ends = [self.nearest_node(self._place_xy(p), local_nodes) for p in places]
        path = [ends[0]]
        for a, b in itertools.pairwise(ends):
            path.extend(self._dijkstra(adj, a, b)[1:])
        local = set(local_nodes)
        stops = [path[0]]
        run = 0.0
        length = 0.0
        for u, v in itertools.pairwise(path):
            step = float(np.hypot(*(self.xy[u] - self.xy[v])))
            run += step
            length += step
            if run >= spacing_m and v in local and v != path[-1]:
                stops.append(v)
                run = 0.0
        stops.append(path[-1])
        for s in stops:
            if s in self.node_tags and self.node_tags[s].get("highway") == "bus_stop":
                continue
            street = named.get(s, "站点")
            stop_count[street] = stop_count.get(street, 0) + 1
            self.node_tags.setdefault(s, {}).update(
                {
                    "highway": "bus_stop",
                    "public_transport": "stop_position",
                    "bus": "yes",
                    "name": f"{street}{stop_count[street]}号站",
                }
            )
        first = self._label(places[0])
        last = self._label(places[-1])
        name = f"{'城乡客运' if county else '十堰公交'}{ref}路: {first} → {last}"
        tags = {
            "type": "route",
            "route": "bus",
            "ref": ref,
            "name": name,
            "name:en": f"{'County' if county else 'City'} bus {ref}",
            "from": first,
            "to": last,
            "network": "十堰公交 (schematic line set)",
            "public_transport:version": "2",
            "note": "schematic line",
        }
        self.relations.append(([("node", s, "stop") for s in stops], tags))
        self.report.append(
            f"| bus {ref} | {first} → {last}{' (' + town + ')' if town else ''} "
            f"| {length / 1000:.1f} km | {len(stops)} stops |"
        )

    @staticmethod
    def _label(place: object) -> str:
        """Return a readable name of a line end."""
        return f"{place[0]:.3f},{place[1]:.3f}" if isinstance(place, tuple) else str(place)

    # --- output ---------------------------------------------------------------------------
    def write(self, out: Path) -> None:
        """Write OSM XML (ids in creation order, 7-decimal coordinates)."""
        used = {n for ln in self.lines for n in ln.nodes} | set(self.node_tags)
        used |= {ref for members, _ in self.relations for kind, ref, _ in members if kind == "node"}
        ids = sorted(used)
        ll = {n: to_lonlat(self.xy[n]) for n in ids}
        lons = [ll[n][0] for n in ids]
        lats = [ll[n][1] for n in ids]
        parts = [
            "<?xml version='1.0' encoding='UTF-8'?>\n",
            "<!-- SCHEMATIC Shiyan network built by networks/build_shiyan.py from public "
            "coordinates (geography.md). NOT surveyed OpenStreetMap geometry. See "
            "networks/PROVENANCE.md. -->\n",
            f'<osm version="0.6" generator="{GENERATOR}">\n',
            "  <note>SCHEMATIC network: positions and street grids are estimates drawn from "
            "public coordinates, not surveyed geometry.</note>\n",
            f'  <bounds minlat="{min(lats):.7f}" minlon="{min(lons):.7f}" '
            f'maxlat="{max(lats):.7f}" maxlon="{max(lons):.7f}"/>\n',
        ]

        def tag_xml(tags: dict[str, str]) -> str:
            return "".join(
                f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in sorted(tags.items())
            )

        for n in ids:
            lon, lat = ll[n]
            tags = self.node_tags.get(n)
            head = f'  <node id="{n}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"'
            parts.append(f"{head}>{tag_xml(tags)}</node>\n" if tags else f"{head}/>\n")
        way_id = ID_BASE
        for ln in self.lines:
            if len(ln.nodes) < 2:
                continue
            refs = "".join(f'<nd ref="{n}"/>' for n in ln.nodes)
            parts.append(f'  <way id="{way_id}" version="1">{refs}{tag_xml(ln.tags)}</way>\n')
            way_id += 1
        rel_id = ID_BASE
        for members, tags in self.relations:
            mem = "".join(
                f'<member type="{kind}" ref="{ref}" role="{role}"/>' for kind, ref, role in members
            )
            parts.append(f'  <relation id="{rel_id}" version="1">{mem}{tag_xml(tags)}</relation>\n')
            rel_id += 1
        parts.append("</osm>\n")
        out.write_text("".join(parts), encoding="utf-8")


def build(out: Path) -> list[str]:
    """Build the schematic network into ``out``; return the report lines."""
    b = Builder()
    b.build_expressways()
    b.build_water()
    b.build_roads()
    b.build_grids()
    crossings = b.intersect()
    b.build_features()
    b.build_bus()
    b.write(out)
    b.report.append(
        f"crossings added: {crossings}; nodes created: {b.next_node - ID_BASE}; "
        f"ways: {sum(1 for ln in b.lines if len(ln.nodes) >= 2)}; "
        f"relations: {len(b.relations)}"
    )
    return b.report


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .osm file")
    parser.add_argument("--report", action="store_true", help="print lengths and bus lines")
    args = parser.parse_args()
    report = build(args.out)
    if args.report:
        print("\n".join(report))
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
