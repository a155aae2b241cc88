#!/usr/bin/env python3
# A ground homography by eye for the tests/traffic site files (issue 15; tests/traffic/README.md, "Calibrations").
# Input (one JSON argument): image size W, H; a focal length f in pixels (guessed, or chosen so that a known length
# along the road, e.g. the dash cycle, comes out right); two lane lines l1, l2 read on a frame (two pixels each),
# parallel on the ground and D metres apart. Model: a pinhole camera with its principal point at the image centre and
# no roll, over a flat road: the lines' vanishing point gives the road's direction and, with no roll, the horizon
# (the row of the vanishing point), hence the ground plane's normal; the camera height is scaled so that the lines
# are D apart. Prints the vanishing point, the height and pitch, the ground position of each `probe` pixel, and the
# `pts` pixels with their ground positions (the site file's image/ground pairs; ground x across the road to the
# right, y along the road away from the camera).
#   bench/traffic_calib_by_eye.py '{"W":320,"H":240,"f":1540,"l1":[[142,192],[199,90]],"l2":[[254.5,192],[264,90]],
#                                  "D":3.6,"probe":[[167,145]],"pts":[[40,230],[280,230],[200,60],[290,60]]}'
# Python 3 standard library only.
import math, sys, json
def cross(a,b): return [a[1]*b[2]-a[2]*b[1], a[2]*b[0]-a[0]*b[2], a[0]*b[1]-a[1]*b[0]]
def dot(a,b): return sum(x*y for x,y in zip(a,b))
def norm(a): n=math.sqrt(dot(a,a)); return [x/n for x in a]
def line(p,q): return cross([p[0],p[1],1.0],[q[0],q[1],1.0])
class Cam:
    def __init__(s, W, H, f, l1, l2, D):
        s.cx, s.cy, s.f = W/2.0, H/2.0, f
        v = cross(line(*l1), line(*l2)); s.vp = (v[0]/v[2], v[1]/v[2])
        d1 = norm([(s.vp[0]-s.cx)/f, (s.vp[1]-s.cy)/f, 1.0])
        if v[2] == 0: raise SystemExit('parallel')
        yh = s.vp[1]
        n = norm([0.0, f, s.cy - yh]); s.up = [-x for x in n]
        s.d1 = norm([d1[i] - dot(d1,s.up)*s.up[i] for i in range(3)])
        s.d2 = cross(s.d1, s.up)
        s.k = 1.0
        a = s.g(l1[0]); b = s.g(l2[0]); c = s.g(l2[1])
        # lateral distance of a from line b-c
        ux, uy = c[0]-b[0], c[1]-b[1]; L = math.hypot(ux, uy)
        dist = abs((a[0]-b[0])*uy - (a[1]-b[1])*ux) / L
        s.k = D / dist
    def g(s, p):
        r = [(p[0]-s.cx)/s.f, (p[1]-s.cy)/s.f, 1.0]
        den = dot(s.up, r)
        if den >= 0: return None
        lam = -1.0/den
        X = [lam*x for x in r]
        return (s.k*dot(X, s.d2), s.k*dot(X, s.d1))
if __name__ == '__main__':
    cfg = json.loads(sys.argv[1])
    c = Cam(cfg['W'], cfg['H'], cfg['f'], cfg['l1'], cfg['l2'], cfg['D'])
    print('vp', [round(x,1) for x in c.vp], 'height m', round(c.k,2), 'pitch deg', round(math.degrees(math.asin(-c.up[2])),1))
    for p in cfg.get('probe', []):
        g = c.g(p); print('probe', p, g and [round(x,2) for x in g])
    pts = cfg['pts']
    print('image:', json.dumps(pts))
    print('ground:', json.dumps([[round(x,2) for x in c.g(p)] if c.g(p) else None for p in pts]))
