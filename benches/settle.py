#!/usr/bin/env python3
"""Time from an input event to settled pixels, measured from outside the app (issue 22 §0).

    settle.py X Y [N] [--away] [--region=X,Y,W,H]
                                 (DISPLAY set; the window focused; a word under (X, Y))

--away moves the pointer off the text before the key, so that the span's hover card (shown
after egui's tooltip delay) is not counted as part of the action.

For each of N words down the page (Y, Y+28, ...): a double-click on the word (XTest), then,
once the screen has been still for 0.6 s, the key "1" (tag as quote). For each event: the time
from the event to the last change of the screen region (the text column) after which nothing
changed for 0.6 s. Grabs with XGetImage through libX11 (about 2-4 ms each), so the figures are
exact to a grab.
"""
import ctypes, ctypes.util, statistics, sys, time

x11 = ctypes.CDLL("libX11.so.6")
xtst = ctypes.CDLL("libXtst.so.6")
x11.XOpenDisplay.restype = ctypes.c_void_p
x11.XDefaultRootWindow.restype = ctypes.c_ulong
x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
x11.XGetImage.restype = ctypes.c_void_p
x11.XGetImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_int,
                          ctypes.c_uint, ctypes.c_uint, ctypes.c_ulong, ctypes.c_int]
x11.XDestroyImage = None
x11.XFlush.argtypes = [ctypes.c_void_p]
x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
x11.XKeysymToKeycode.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
x11.XKeysymToKeycode.restype = ctypes.c_ubyte
xtst.XTestFakeKeyEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int, ctypes.c_ulong]
xtst.XTestFakeButtonEvent.argtypes = [ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                                      ctypes.c_ulong]
xtst.XTestFakeMotionEvent.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                      ctypes.c_ulong]


class XImage(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int), ("xoffset", ctypes.c_int),
                ("format", ctypes.c_int), ("data", ctypes.c_void_p),
                ("byte_order", ctypes.c_int), ("bitmap_unit", ctypes.c_int),
                ("bitmap_bit_order", ctypes.c_int), ("bitmap_pad", ctypes.c_int),
                ("depth", ctypes.c_int), ("bytes_per_line", ctypes.c_int),
                ("bits_per_pixel", ctypes.c_int)]


dpy = x11.XOpenDisplay(None)
root = x11.XDefaultRootWindow(dpy)
REGION = (0, 0, 1200, 800)  # the whole window (gui-shot: 1200x800 at the top left)
ZPIXMAP, ALLPLANES = 2, 0xFFFFFFFF
libc = ctypes.CDLL(ctypes.util.find_library("c"))


LAST_CHANGE = [None]


def grab():
    x, y, w, h = REGION
    p = x11.XGetImage(dpy, root, x, y, w, h, ALLPLANES, ZPIXMAP)
    img = ctypes.cast(p, ctypes.POINTER(XImage)).contents
    data = ctypes.string_at(img.data, img.bytes_per_line * img.height)
    bpl = img.bytes_per_line
    libc.free(ctypes.c_void_p(img.data))
    libc.free(ctypes.c_void_p(p))
    return (data, bpl)


def changed_box(a, b):
    """The rows and columns (pixels, in the region) where two grabs differ."""
    (da, bpl), (db, _) = a, b
    rows = [r for r in range(len(da) // bpl) if da[r * bpl:(r + 1) * bpl] != db[r * bpl:(r + 1) * bpl]]
    start = rows[0] * bpl
    cols = [(i - start) // 4 for i in range(start, start + bpl, 4) if da[i:i + 4] != db[i:i + 4]]
    return (min(cols), rows[0], max(cols), rows[-1])


def settle(t0, still=0.6, limit=15.0):
    """Seconds from t0 to the last change before `still` seconds without one."""
    last, last_change = grab(), None
    while True:
        now = time.monotonic()
        g = grab()
        if g[0] != last[0]:
            LAST_CHANGE[0] = changed_box(last, g)
            last, last_change = g, time.monotonic()
        elif now - (last_change or t0) > still or now - t0 > limit:
            return None if last_change is None else last_change - t0


def click2(x, y):
    xtst.XTestFakeMotionEvent(dpy, -1, x, y, 0)
    x11.XSync(dpy, 0)
    time.sleep(0.2)
    t0 = time.monotonic()
    for _ in range(2):
        xtst.XTestFakeButtonEvent(dpy, 1, 1, 0)
        xtst.XTestFakeButtonEvent(dpy, 1, 0, 0)
    x11.XSync(dpy, 0)
    return t0


def key(sym):
    code = x11.XKeysymToKeycode(dpy, sym)
    t0 = time.monotonic()
    xtst.XTestFakeKeyEvent(dpy, code, 1, 0)
    xtst.XTestFakeKeyEvent(dpy, code, 0, 0)
    x11.XSync(dpy, 0)
    return t0


AWAY = "--away" in sys.argv
if AWAY:
    sys.argv.remove("--away")
for arg in list(sys.argv):
    if arg.startswith("--region="):
        # Only changes inside this box count: X,Y,W,H (the text column, say).
        REGION = tuple(int(v) for v in arg.split("=", 1)[1].split(","))
        sys.argv.remove(arg)


def main():
    x, y = int(sys.argv[1]), int(sys.argv[2])
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    sel, tag = [], []
    for i in range(n):
        settle(time.monotonic())
        s = settle(click2(x, y + 28 * i))
        if AWAY:
            # The pointer leaves the text, so no hover card opens over the new span.
            xtst.XTestFakeMotionEvent(dpy, -1, 700, 40, 0)
            x11.XSync(dpy, 0)
            settle(time.monotonic())
        LAST_CHANGE[0] = None
        t = settle(key(0x31))  # XK_1
        where = LAST_CHANGE[0]
        sel.append(s)
        tag.append(t)
        ms = lambda v: "no change" if v is None else f"{v * 1000:.0f} ms"
        print(f"word {i}: double-click {ms(s)}, key 1 {ms(t)} (its last change at x, y, x, y = {where})", flush=True)
    for name, xs in (("double-click", sel), ("key 1", tag)):
        ok = [v * 1000 for v in xs if v is not None]
        if ok:
            print(f"{name}: median {statistics.median(ok):.0f} ms, min {min(ok):.0f}, "
                  f"max {max(ok):.0f} ({len(ok)} of {len(xs)} changed the screen)")


main()
