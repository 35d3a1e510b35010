"""Drawn pictures for the demo lots: photos (Pillow) and 360° equirectangular panoramas (numpy).

Nothing here is real property; the pictures only make the catalogue and the VR viewer show something
recognisable. Everything is generated in memory and returned as JPEG bytes.
"""

import functools
import io
import math
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

W, H = 800, 560


def _jpeg(img: Image.Image, quality: int = 82) -> bytes:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality, optimize=True)
    return buf.getvalue()


def _gradient(w: int, h: int, top: tuple, bottom: tuple) -> Image.Image:
    t = np.linspace(0.0, 1.0, h)[:, None, None]
    a = np.array(top, dtype=float)[None, None, :]
    b = np.array(bottom, dtype=float)[None, None, :]
    rows = (a * (1 - t) + b * t).astype(np.uint8)
    return Image.fromarray(np.repeat(rows, w, axis=1), "RGB")


def _sky(rng: random.Random) -> Image.Image:
    tops = [(96, 150, 220), (120, 170, 235), (250, 170, 120), (70, 110, 190)]
    top = rng.choice(tops)
    return _gradient(W, H, top, (235, 240, 248))


def _building(d: ImageDraw.ImageDraw, rng: random.Random, x: int, w: int, floors: int, color: tuple, ground: int) -> None:
    fh = 26
    top = ground - floors * fh - 10
    d.rectangle([x, top, x + w, ground], fill=color, outline=(60, 60, 70))
    d.rectangle([x - 4, top - 8, x + w + 4, top], fill=tuple(max(0, c - 40) for c in color))
    cols = max(2, w // 28)
    for f in range(floors):
        for c in range(cols):
            wx = x + 8 + c * (w - 16) // cols
            wy = top + 8 + f * fh
            lit = rng.random() < 0.25
            d.rectangle([wx, wy, wx + (w - 16) // cols - 8, wy + 14], fill=(255, 226, 140) if lit else (150, 190, 220), outline=(70, 80, 90))


@functools.lru_cache(maxsize=64)  # same seed, same picture: repeated loads (tests) reuse the bytes
def photo_building(seed: int, kind: str = "apartment") -> bytes:
    rng = random.Random(seed)
    img = _sky(rng)
    d = ImageDraw.Draw(img)
    ground = H - 90
    d.rectangle([0, ground, W, H], fill=(120, 150, 95))
    d.rectangle([0, ground + 30, W, ground + 60], fill=(90, 90, 95))
    for i in range(0, W, 60):
        d.rectangle([i + 10, ground + 43, i + 40, ground + 47], fill=(240, 240, 240))
    palette = [(226, 210, 190), (210, 200, 200), (200, 210, 225), (235, 225, 205), (190, 180, 170)]
    if kind == "apartment":
        for x, w, f in [(60, 150, 14), (250, 190, 16), (480, 140, 12), (640, 120, 9)]:
            _building(d, rng, x, w, f, rng.choice(palette), ground)
    elif kind == "shop":
        _building(d, rng, 80, 640, 5, rng.choice(palette), ground - 70)
        d.rectangle([80, ground - 70, 720, ground], fill=(240, 240, 240), outline=(60, 60, 70))
        for i, x in enumerate(range(90, 700, 125)):
            d.rectangle([x, ground - 60, x + 110, ground - 5], fill=(140, 190, 215) if i % 2 else (170, 210, 230), outline=(80, 80, 80))
        d.rectangle([80, ground - 100, 720, ground - 70], fill=(200, 40, 40))
    elif kind == "villa":
        d.rectangle([0, ground - 10, W, ground], fill=(100, 140, 80))
        d.rectangle([200, ground - 190, 600, ground], fill=(245, 238, 225), outline=(80, 70, 60))
        d.polygon([(170, ground - 190), (400, ground - 300), (630, ground - 190)], fill=(150, 70, 55))
        for x in (240, 360, 480):
            d.rectangle([x, ground - 160, x + 70, ground - 100], fill=(150, 190, 220), outline=(90, 80, 70))
        d.rectangle([370, ground - 80, 430, ground], fill=(120, 80, 50))
        for x in (80, 690):
            d.ellipse([x - 40, ground - 150, x + 40, ground - 40], fill=(60, 120, 60))
            d.rectangle([x - 6, ground - 45, x + 6, ground], fill=(100, 70, 40))
    elif kind == "office":
        _building(d, rng, 220, 360, 18, (170, 190, 210), ground)
        _building(d, rng, 40, 150, 10, rng.choice(palette), ground)
        _building(d, rng, 610, 150, 12, rng.choice(palette), ground)
    elif kind == "land":
        d.rectangle([0, ground - 120, W, H], fill=(150, 170, 100))
        d.polygon([(120, ground + 40), (260, ground - 100), (640, ground - 90), (720, ground + 50)], fill=(180, 160, 110), outline=(230, 60, 60))
        for x in (120, 260, 640, 720):
            y = ground + 40 if x in (120,) else ground - 100 if x == 260 else ground - 90 if x == 640 else ground + 50
            d.rectangle([x - 4, y - 30, x + 4, y], fill=(230, 60, 60))
        for x in range(40, W, 110):
            _building(d, rng, x, 60, rng.randint(6, 10), rng.choice(palette), ground - 120)
    img = img.filter(ImageFilter.SMOOTH)
    return _jpeg(img)


@functools.lru_cache(maxsize=64)  # same seed, same picture: repeated loads (tests) reuse the bytes
def photo_vehicle(seed: int, kind: str = "car") -> bytes:
    rng = random.Random(seed)
    img = _gradient(W, H, (210, 215, 225), (150, 155, 165))
    d = ImageDraw.Draw(img)
    ground = H - 120
    d.rectangle([0, ground, W, H], fill=(95, 95, 100))
    body = rng.choice([(30, 60, 140), (200, 30, 40), (240, 240, 240), (40, 40, 45), (180, 180, 185)])
    if kind == "car":
        d.rounded_rectangle([110, ground - 150, 690, ground - 40], radius=40, fill=body, outline=(20, 20, 20), width=3)
        d.polygon([(230, ground - 150), (300, ground - 240), (520, ground - 240), (600, ground - 150)], fill=body, outline=(20, 20, 20))
        d.polygon([(250, ground - 152), (310, ground - 228), (400, ground - 228), (400, ground - 152)], fill=(170, 200, 225))
        d.polygon([(412, ground - 152), (412, ground - 228), (510, ground - 228), (580, ground - 152)], fill=(170, 200, 225))
        wheels = (230, 570)
    else:  # truck
        d.rectangle([80, ground - 270, 520, ground - 50], fill=(235, 235, 235), outline=(30, 30, 30), width=3)
        d.rounded_rectangle([520, ground - 200, 720, ground - 50], radius=18, fill=body, outline=(30, 30, 30), width=3)
        d.rectangle([560, ground - 185, 700, ground - 120], fill=(170, 200, 225))
        wheels = (170, 420, 640)
    for x in wheels:
        d.ellipse([x - 52, ground - 90, x + 52, ground + 14], fill=(25, 25, 25))
        d.ellipse([x - 24, ground - 62, x + 24, ground - 14], fill=(190, 190, 195))
    return _jpeg(img.filter(ImageFilter.SMOOTH))


@functools.lru_cache(maxsize=64)  # same seed, same picture: repeated loads (tests) reuse the bytes
def photo_ship(seed: int) -> bytes:
    rng = random.Random(seed)
    img = _gradient(W, H, (110, 165, 225), (225, 235, 245))
    d = ImageDraw.Draw(img)
    sea = H - 170
    d.rectangle([0, sea, W, H], fill=(40, 90, 140))
    for y in range(sea + 10, H, 18):
        for x in range(rng.randint(-40, 0), W, 80):
            d.arc([x, y, x + 60, y + 14], 200, 340, fill=(180, 210, 235), width=2)
    d.polygon([(70, sea - 90), (730, sea - 90), (660, sea + 30), (130, sea + 30)], fill=(60, 60, 70))
    d.rectangle([70, sea - 100, 730, sea - 90], fill=(200, 40, 40))
    for i, x in enumerate(range(160, 520, 72)):
        d.rectangle([x, sea - 150, x + 66, sea - 100], fill=[(200, 80, 40), (40, 110, 170), (230, 180, 40), (60, 140, 80)][i % 4], outline=(30, 30, 30))
    d.rectangle([560, sea - 230, 680, sea - 100], fill=(245, 245, 245), outline=(40, 40, 40))
    for y in (sea - 210, sea - 170, sea - 135):
        d.rectangle([570, y, 670, y + 16], fill=(120, 170, 210))
    d.rectangle([615, sea - 280, 630, sea - 230], fill=(40, 40, 40))
    return _jpeg(img)


@functools.lru_cache(maxsize=64)  # same seed, same picture: repeated loads (tests) reuse the bytes
def photo_jewellery(seed: int) -> bytes:
    rng = random.Random(seed)
    img = _gradient(W, H, (40, 30, 50), (110, 80, 120))
    d = ImageDraw.Draw(img)
    d.ellipse([150, 380, 650, 520], fill=(230, 225, 235))
    for cx, cy, r, gem in [(280, 300, 80, (60, 200, 120)), (520, 290, 70, (200, 40, 80))]:
        d.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(230, 190, 70), width=16)
        d.polygon([(cx, cy - r - 60), (cx - 34, cy - r - 20), (cx, cy - r + 8), (cx + 34, cy - r - 20)], fill=gem, outline=(250, 250, 250))
    pts = []
    for i in range(40):
        a = math.pi * (0.15 + 0.7 * i / 39)
        pts.append((400 + 300 * math.cos(a), 40 + 130 * math.sin(a)))
    for x, y in pts:
        d.ellipse([x - 9, y - 9, x + 9, y + 9], fill=(245, 240, 230), outline=(200, 190, 180))
    for _ in range(30):
        x, y = rng.randint(0, W), rng.randint(0, 380)
        d.line([x - 5, y, x + 5, y], fill=(255, 255, 255))
        d.line([x, y - 5, x, y + 5], fill=(255, 255, 255))
    return _jpeg(img)


@functools.lru_cache(maxsize=64)  # same seed, same picture: repeated loads (tests) reuse the bytes
def photo_machinery(seed: int) -> bytes:
    rng = random.Random(seed)
    img = _gradient(W, H, (200, 200, 195), (140, 140, 135))
    d = ImageDraw.Draw(img)
    d.rectangle([0, H - 100, W, H], fill=(110, 110, 105))
    d.rectangle([120, 190, 560, H - 100], fill=(235, 170, 30), outline=(40, 40, 40), width=3)
    d.rectangle([560, 260, 700, H - 100], fill=(80, 90, 100), outline=(40, 40, 40), width=3)
    d.rectangle([160, 230, 320, 330], fill=(60, 70, 80))
    d.rectangle([175, 245, 305, 315], fill=(120, 200, 160))
    for i in range(6):
        d.rectangle([360 + i * 30, 240, 375 + i * 30, 340], fill=(60, 60, 60))

    def gear(cx: int, cy: int, r: int) -> None:
        teeth = 12
        poly = []
        for i in range(teeth * 2):
            a = math.pi * i / teeth
            rr = r if i % 2 == 0 else r * 0.8
            poly.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
        d.polygon(poly, fill=(120, 125, 130), outline=(40, 40, 40))
        d.ellipse([cx - r * 0.3, cy - r * 0.3, cx + r * 0.3, cy + r * 0.3], fill=(60, 60, 60))

    gear(300, 400, rng.randint(55, 70))
    gear(420, 400, 45)
    return _jpeg(img)


@functools.lru_cache(maxsize=64)  # same seed, same picture: repeated loads (tests) reuse the bytes
def photo_document(seed: int, kind: str = "equity") -> bytes:
    """A certificate-like picture (equity, trademark, parking-space right)."""
    rng = random.Random(seed)
    img = _gradient(W, H, (120, 90, 70), (80, 60, 50))
    d = ImageDraw.Draw(img)
    d.rectangle([110, 50, 690, 510], fill=(250, 245, 230), outline=(170, 130, 60), width=10)
    d.rectangle([135, 75, 665, 485], outline=(200, 160, 80), width=2)
    d.ellipse([520, 360, 640, 480], outline=(200, 30, 30), width=6)
    d.polygon([(580, 385), (592, 415), (622, 415), (598, 433), (607, 462), (580, 445), (553, 462), (562, 433), (538, 415), (568, 415)], fill=(200, 30, 30))
    for y in range(140, 360, 28):
        d.line([170, y, 170 + rng.randint(260, 470), y], fill=(90, 90, 90), width=4)
    d.rectangle([300, 95, 500, 120], fill=(140, 40, 40))
    if kind == "equity":
        for i, h in enumerate([60, 90, 75, 120]):
            d.rectangle([180 + i * 40, 470 - h, 205 + i * 40, 470], fill=(40, 110, 170))
    elif kind == "parking":
        d.rounded_rectangle([180, 380, 300, 470], radius=10, fill=(30, 90, 200))
        d.text((228, 410), "P", fill=(255, 255, 255))
    return _jpeg(img)


# ---------------------------------------------------------------- panoramas

def _plank_floor(px: np.ndarray, py: np.ndarray, base: np.ndarray) -> np.ndarray:
    plank = np.floor(py / 0.22)
    shade = 0.85 + 0.15 * np.sin(plank * 12.9898) ** 2
    seam = (np.abs(py / 0.22 - np.round(py / 0.22)) < 0.04) | (np.abs((px + plank * 0.7) % 1.3) < 0.02)
    col = base[None, :] * shade[:, None]
    col[seam] *= 0.6
    return col


@functools.lru_cache(maxsize=64)  # same seed, same picture: repeated loads (tests) reuse the bytes
def panorama(seed: int, outdoor: bool = False, w: int = 2048, h: int = 1024) -> bytes:
    """A 2:1 equirectangular image: a ray-cast box room (walls, floor, ceiling, windows, door) or a site.

    Each pixel is a viewing direction; the first surface hit decides its colour, so the pannellum
    viewer shows straight walls and corners at every angle.
    """
    rng = np.random.default_rng(seed)
    lon = (np.arange(w) + 0.5) / w * 2 * np.pi - np.pi
    lat = np.pi / 2 - (np.arange(h) + 0.5) / h * np.pi
    lon, lat = np.meshgrid(lon.astype(np.float32), lat.astype(np.float32))
    dx = np.cos(lat) * np.cos(lon)
    dy = np.cos(lat) * np.sin(lon)
    dz = np.sin(lat)
    img = np.zeros((h, w, 3), dtype=np.float32)
    if outdoor:
        sky = lat > 0
        t = np.clip(lat / (np.pi / 2), 0, 1)
        img[sky] = (np.array([235, 240, 248])[None, :] * (1 - t[sky, None]) + np.array([90, 145, 215])[None, :] * t[sky, None])
        ground = ~sky
        dist = 1.6 / np.maximum(-dz[ground], 1e-3)
        gx, gy = dx[ground] * dist, dy[ground] * dist
        stripes = (np.floor(gx / 3) + np.floor(gy / 3)) % 2
        img[ground] = np.where(stripes[:, None] > 0, np.array([150, 175, 100]), np.array([140, 165, 92]))
        # red survey posts marking the parcel and a skyline of distant buildings
        for k in range(8):
            a = -np.pi + k * np.pi / 4 + 0.2
            post = (np.abs(lon - a) < 0.006) & (lat < 0.02) & (lat > -0.2)
            img[post] = [220, 50, 50]
        heights = rng.uniform(0.02, 0.12, 40)
        idx = np.clip(((lon + np.pi) / (2 * np.pi) * 40).astype(int), 0, 39)
        bld = (lat >= 0) & (lat < heights[idx])
        grey = 150 + (idx % 5) * 15
        img[bld] = np.stack([grey, grey + 5, grey + 12], axis=-1)[bld]
        return _jpeg(Image.fromarray(img.clip(0, 255).astype(np.uint8)), quality=80)

    ax, ay = float(rng.uniform(3.2, 4.5)), float(rng.uniform(2.6, 3.6))
    zf, zc = -1.5, 1.3
    eps = 1e-9
    tx = ax / np.maximum(np.abs(dx), eps)
    ty = ay / np.maximum(np.abs(dy), eps)
    tz = np.where(dz > 0, zc / np.maximum(dz, eps), -zf / np.maximum(-dz, eps))
    t = np.minimum(np.minimum(tx, ty), tz)
    px, py, pz = dx * t, dy * t, dz * t
    hit_x = tx <= np.minimum(ty, tz)
    hit_y = (~hit_x) & (ty <= tz)
    hit_z = ~(hit_x | hit_y)
    tint = rng.choice([np.array([1.0, 1.0, 1.0]), np.array([0.86, 0.95, 1.05]), np.array([1.05, 0.93, 0.86])])  # white, blue-grey, warm walls
    wall_colours = [np.array(c, dtype=float) * tint for c in ([238, 230, 214], [226, 220, 205], [232, 226, 212], [220, 214, 200])]
    # walls: +x, -x, +y, -y
    for mask, col in [(hit_x & (dx > 0), wall_colours[0]), (hit_x & (dx < 0), wall_colours[1]),
                      (hit_y & (dy > 0), wall_colours[2]), (hit_y & (dy < 0), wall_colours[3])]:
        img[mask] = col
    floor = hit_z & (dz < 0)
    ceiling = hit_z & (dz > 0)
    img[floor] = _plank_floor(px[floor], py[floor], np.array([176, 128, 84], dtype=float))
    img[ceiling] = [248, 248, 246]
    lamp = ceiling & (px ** 2 + py ** 2 < 0.16)
    img[lamp] = [255, 247, 215]
    # skirting board
    walls = hit_x | hit_y
    img[walls & (pz < zf + 0.12)] = [120, 95, 75]
    # windows on the +x wall: sky seen through, with frames
    win = hit_x & (dx > 0) & (np.abs(py) < ay * 0.55) & (pz > -0.55) & (pz < 0.95)
    skyt = np.clip((pz - -0.55) / 1.5, 0, 1)
    img[win] = (np.array([205, 225, 245])[None, :] * (1 - skyt[win, None]) + np.array([110, 165, 225])[None, :] * skyt[win, None])
    frame = win & ((np.abs(py) < 0.04) | (np.abs(pz - 0.2) < 0.035) | (np.abs(np.abs(py) - ay * 0.55) < 0.06))
    img[frame] = [250, 250, 250]
    # door on the -y wall
    door = hit_y & (dy < 0) & (px > 0.8) & (px < 1.8) & (pz < 0.65)
    img[door] = [140, 95, 60]
    knob = door & ((px - 1.65) ** 2 + (pz + 0.4) ** 2 < 0.003)
    img[knob] = [220, 190, 90]
    # a picture on the -x wall and a cabinet on the +y wall
    pic = hit_x & (dx < 0) & (np.abs(py) < 0.7) & (pz > 0.0) & (pz < 0.8)
    img[pic] = [70, 120, 160]
    img[pic & (pz < 0.35) & (np.abs(py + 0.2) < 0.4)] = [90, 150, 90]
    cab = hit_y & (dy > 0) & (np.abs(px + 0.5) < 1.4) & (pz < -0.6)
    img[cab] = [200, 200, 205]
    img[cab & (np.abs(px + 0.5) < 0.02)] = [120, 120, 125]
    # darken the corners where two surfaces meet, so the box reads as a room
    dists = np.stack([np.abs(np.abs(px) - ax), np.abs(np.abs(py) - ay), np.abs(pz - zf), np.abs(pz - zc)])
    second = np.partition(dists, 1, axis=0)[1]  # close to two surfaces at once = an edge of the room
    img[second < 0.03] *= 0.55
    # soft light falloff with distance
    img *= (0.75 + 0.25 * np.clip(2.5 / t, 0, 1))[..., None]
    return _jpeg(Image.fromarray(img.clip(0, 255).astype(np.uint8)), quality=80)
