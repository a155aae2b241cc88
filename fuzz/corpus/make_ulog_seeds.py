#!/usr/bin/env python3
"""Writes the hand-made PX4 ULog seeds of fuzz/corpus/ulog/ (run from fuzz/corpus/; the .ulg files are committed)."""
import math
import struct


def msg(kind, body):
    return struct.pack('<HB', len(body), ord(kind)) + body


def fmt(text):
    return msg('F', text.encode())


def info(key, value):
    return msg('I', bytes([len(key)]) + key.encode() + value)


def sub(msg_id, name, multi=0):
    return msg('A', struct.pack('<BH', multi, msg_id) + name.encode())


def data(msg_id, payload):
    return msg('D', struct.pack('<H', msg_id) + payload)


def header(t0):
    return b'ULog\x01\x12\x35' + bytes([1]) + struct.pack('<Q', t0) + msg('B', bytes(40))


def quat(yaw_deg):
    h = math.radians(yaw_deg) / 2
    return struct.pack('<4f', math.cos(h), 0, 0, math.sin(h))


def global_and_attitude():
    out = header(1000)
    out += fmt('vehicle_global_position:uint64_t timestamp;double lat;double lon;float alt;uint8_t[4] _padding0')
    out += fmt('vehicle_attitude:uint64_t timestamp;float[4] q;uint8_t[4] _padding0')
    out += fmt('mount_orientation:uint64_t timestamp;float[3] attitude_euler_angle;uint8_t[4] _padding0')
    out += info('char[7] sys_name', b'PX4_FMU')
    out += sub(0, 'vehicle_global_position') + sub(1, 'vehicle_attitude') + sub(2, 'mount_orientation')
    for i in range(4):
        t = 1_000_000 + 250_000 * i
        out += data(0, struct.pack('<Qddf4x', t, 47.0 + 1e-5 * i, 8.0, 500.0 + i))
        out += data(1, struct.pack('<Q', t + 1000) + quat(10 * i) + bytes(4))
        out += data(2, struct.pack('<Q3f4x', t + 2000, 0, -1.5, 0.1 * i))
    out += msg('L', b'6' + struct.pack('<Q', 1_500_000) + b'Takeoff detected')
    out += msg('O', struct.pack('<H', 12))
    return out


def local_gps_gimbal():
    out = header(0)
    out += fmt('position_setpoint:uint64_t timestamp;float x;float y')
    out += fmt('vehicle_local_position:uint64_t timestamp;float x;float y;float z;double ref_lat;double ref_lon;'
               'position_setpoint[2] sp')
    out += fmt('vehicle_gps_position:uint64_t timestamp;int32_t lat;int32_t lon;int32_t alt;uint8_t fix_type')
    out += fmt('gimbal_device_attitude_status:uint64_t timestamp;float[4] q')
    out += sub(0, 'vehicle_local_position') + sub(1, 'vehicle_gps_position') + sub(2, 'gimbal_device_attitude_status')
    for i in range(3):
        t = 500_000 * i
        out += data(0, struct.pack('<Q3f2d', t, 1.0 * i, 2.0 * i, -30.0, -34.2, -58.8) + bytes(32))
        out += data(1, struct.pack('<Q3iB', t, -342000000, -588000000, 12000, 3))
        out += data(2, struct.pack('<Q', t) + quat(-5 * i))
    out += msg('C', b'4' + struct.pack('<HQ', 1, 700_000) + b'tagged')
    return out


if __name__ == '__main__':
    open('ulog/global_attitude_mount.ulg', 'wb').write(global_and_attitude())
    open('ulog/local_gps_gimbal.ulg', 'wb').write(local_gps_gimbal())
