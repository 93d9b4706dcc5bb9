"""The training sounds of micro-audio, made here: every sound is synthesised from a formula (or spoken
by Debian's espeak-ng) and named in words, so the data set is ours to publish and to describe exactly.

A sound is 2.144 s of mono audio at 8 kHz (17,152 samples: 64 analysis windows of 1,024 samples, 256
apart). Its picture is 64 × 64: 64 moments (columns) × 64 pitches (rows), one row per semitone from G2
(98 Hz, row 0) to A♯7 (3,729 Hz, row 63), the rows on the equal-tempered grid, so every note of the
data lies exactly on a row (A4 = 440 Hz is row 26). A pixel is the loudness in dB (−80 … 0 dBFS) mapped
to −1 … 1. `demos/audio/picture.ts` computes the same picture in the browser, and turns a picture back into
a spectrogram for Griffin–Lim.

Kinds of sound (the words the model knows are the words of these captions):
- notes: "whistle at A4", "organ at C3", "pluck at E4", "brass at G3" (C3 … B6 for whistles, C3 … B5 else);
- chords and arpeggios, root in octave 4: "organ chord C major", "pluck arpeggio A minor";
- sweeps: "rising whistle", "falling brass";
- sung vowels: "sung ah at A3" (ah, ee, oo, eh, oh; C3 … B4), harmonics shaped by the vowel's formants;
- drums: "drum hit", "snare hit", "drum beat"; noise: "hiss", "rain", "wind";
- speech: "spoken: action", "spoken: cut", "spoken: quiet on set", the digits "spoken: zero" … "spoken: nine"
  (espeak-ng, several voices, pitches and speeds).
"""
from __future__ import annotations

import math
import os
import random
import shutil
import subprocess
import tempfile
import wave

import numpy as np

SR, NFFT, HOP, FRAMES, BINS = 8000, 1024, 256, 64, 64
LENGTH = (FRAMES - 1) * HOP + NFFT
ROW_A4 = 26
F_LOW = 440.0 * 2 ** (-ROW_A4 / 12)  # G2, row 0
DB_FLOOR = -80.0
NAMES = ["c", "c#", "d", "d#", "e", "f", "f#", "g", "g#", "a", "a#", "b"]
TIMBRES = ["whistle", "organ", "pluck", "brass"]
VOWELS = {"ah": (730, 1090, 2440), "ee": (270, 2290, 3010), "oo": (300, 870, 2240), "eh": (530, 1840, 2480), "oh": (570, 840, 2410)}
PHRASES = ["action", "cut", "quiet on set", "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
VOICES = ["en", "en-us", "en-gb-x-rp", "en-gb-scotland", "en-029", "en-gb-x-gbclan"]
VARIANTS = ["", "+m3", "+f2", "+f4", "+m7", "+f1", "+m1"]


class SoundError(RuntimeError):
    """A tool the data needs is missing; the message says what to install."""


# ------------------------------------------------------------------------------------------ notes
def note_hz(name: str) -> float:
    """'a4' -> 440.0, 'c#5' -> 554.37 (equal temperament)."""
    n = name.lower()
    pc, octave = n[:-1], int(n[-1])
    return 440.0 * 2 ** ((NAMES.index(pc) - 9) / 12 + (octave - 4))


def note_name(pc: int, octave: int) -> str:
    return f"{NAMES[pc]}{octave}"


def note_row(hz: float) -> float:
    return 12 * math.log2(hz / F_LOW)


def notes(lo: int, hi: int) -> list[str]:
    """Every note from octave `lo` to octave `hi`, inclusive."""
    return [note_name(pc, o) for o in range(lo, hi + 1) for pc in range(12)]


WHISTLE_NOTES = notes(3, 6)
TIMBRE_NOTES = notes(3, 5)
SUNG_NOTES = notes(3, 4)


# ------------------------------------------------------------------------------------------ analysis
def hann(n: int) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)


def stft_mag(x: np.ndarray) -> np.ndarray:
    """Magnitudes [FRAMES, NFFT/2 + 1] of non-centred Hann windows, as demos/vocoder/griffinlim.ts frames them."""
    x = np.pad(x.astype(np.float64), (0, max(0, LENGTH - len(x))))[:LENGTH]
    idx = np.arange(FRAMES)[:, None] * HOP + np.arange(NFFT)[None]
    return np.abs(np.fft.rfft(x[idx] * hann(NFFT)[None], axis=1))


def _row_map():
    """For each picture row: the fractional spectrum bin of its centre, and the spectrum bins within ±½ semitone."""
    bin_hz = SR / NFFT
    centre, ranges = [], []
    for k in range(BINS):
        f = F_LOW * 2 ** (k / 12)
        centre.append(f / bin_hz)
        lo = math.ceil(f * 2 ** (-1 / 24) / bin_hz)
        hi = math.floor(f * 2 ** (1 / 24) / bin_hz)
        ranges.append((lo, hi))
    return centre, ranges


ROW_CENTRE, ROW_RANGE = _row_map()


def picture_of(x: np.ndarray) -> np.ndarray:
    """The sound's 64 × 64 picture [row = pitch, column = time] in −1 … 1. A row's loudness is the loudest of
    the spectrum at its centre (interpolated) and at the spectrum bins within its semitone."""
    mag = stft_mag(x) / (NFFT / 4)  # a full-scale sine -> 1 (0 dB)
    out = np.empty((BINS, FRAMES))
    for k in range(BINS):
        c = ROW_CENTRE[k]
        j = int(math.floor(c))
        fr = c - j
        v = mag[:, j] * (1 - fr) + mag[:, j + 1] * fr
        lo, hi = ROW_RANGE[k]
        if lo <= hi:
            v = np.maximum(v, mag[:, lo:hi + 1].max(axis=1))
        out[k] = v
    db = 20 * np.log10(np.maximum(out, 1e-12))
    return np.clip(db / 40 + 1, -1, 1).astype(np.float32)


def magnitudes_of(picture: np.ndarray) -> np.ndarray:
    """A picture back to spectrum magnitudes [FRAMES, NFFT/2 + 1] (rows interpolated at each bin's pitch;
    nothing below row 0 or above row 63; pixels at −1 are silence)."""
    bin_hz = SR / NFFT
    db = (np.clip(picture, -1, 1).astype(np.float64) - 1) * 40  # [BINS, FRAMES]
    amp = np.where(picture > -1 + 1e-6, 10 ** (db / 20), 0.0)
    out = np.zeros((FRAMES, NFFT // 2 + 1))
    for j in range(1, NFFT // 2 + 1):
        p = 12 * math.log2(j * bin_hz / F_LOW)
        if p < -0.5 or p > BINS - 0.5:
            continue
        p = min(max(p, 0.0), BINS - 1.0)
        a = int(math.floor(p))
        b = min(a + 1, BINS - 1)
        fr = p - a
        out[:, j] = amp[a] * (1 - fr) + amp[b] * fr
    return out * (NFFT / 4)


def istft(frames: np.ndarray) -> np.ndarray:
    """Weighted overlap-add of complex frames [FRAMES, NFFT/2 + 1], as griffinlim.ts (gain capped at the ends)."""
    w = hann(NFFT)
    sig = np.zeros(LENGTH)
    norm = np.zeros(LENGTH)
    time = np.fft.irfft(frames, n=NFFT, axis=1) * w[None]
    for t in range(FRAMES):
        sig[t * HOP:t * HOP + NFFT] += time[t]
        norm[t * HOP:t * HOP + NFFT] += w * w
    return sig / np.maximum(norm, 0.1 * norm.max())


def griffin_lim(mag: np.ndarray, iterations: int = 32, seed: int = 1, momentum: float = 0.99) -> np.ndarray:
    """Fast Griffin–Lim from random phases (the browser's vocoder does the same); peak-normalised to 0.9 at most."""
    rng = np.random.default_rng(seed)
    ph = np.exp(2j * np.pi * rng.random(mag.shape))
    x = istft(mag * ph)
    prev = None
    w = hann(NFFT)
    idx = np.arange(FRAMES)[:, None] * HOP + np.arange(NFFT)[None]
    for _ in range(iterations):
        got = np.fft.rfft(x[idx] * w[None], axis=1)
        nxt = got if prev is None else got + momentum * (got - prev)
        prev = got
        x = istft(mag * np.exp(1j * np.angle(nxt)))
    peak = np.abs(x).max()
    return x * (0.9 / peak) if peak > 0.9 else x


def pitch_of(x: np.ndarray) -> float:
    """The sound's pitch in Hz: the loudest peak of its whole spectrum (Hann, zero-padded to 65,536 points,
    90 … 3,000 Hz), moved down to the lowest of its ½, ⅓, ¼ that is itself at least a fifth as loud (the
    fundamental of a harmonic sound, the peak itself for a whistle). demos/audio/pitch.ts is the same measure."""
    n = 65536
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x) + 2)[1:-1], n=n))
    hz = np.arange(len(spec)) * SR / n
    band = (hz >= 90) & (hz <= 3000)
    k = int(np.argmax(np.where(band, spec, 0)))
    if 0 < k < len(spec) - 1:  # parabolic peak
        a, b, c = spec[k - 1], spec[k], spec[k + 1]
        d = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
    else:
        d = 0.0
    peak_hz = (k + d) * SR / n
    best = peak_hz
    for h in (2, 3, 4):
        f = peak_hz / h
        if f < 90:
            break
        lo, hi = int(f * 0.985 * n / SR), int(f * 1.015 * n / SR) + 1
        if spec[lo:hi].max() >= 0.2 * spec[k]:
            best = f
    return float(best)


def sweep_slope(picture: np.ndarray) -> float:
    """Semitones per second of the loudness-weighted mean row, over the columns within 20 dB of the loudest
    (least squares): > 0 for a rising sound."""
    amp = 10 ** (((np.clip(picture, -1, 1) - 1) * 40) / 20)
    energy = amp.sum(axis=0)
    keep = energy >= energy.max() * 0.1
    rows = (amp * np.arange(BINS)[:, None]).sum(axis=0) / np.maximum(energy, 1e-12)
    t = np.arange(FRAMES) * HOP / SR
    t, r = t[keep], rows[keep]
    if len(t) < 3:
        return 0.0
    return float(np.polyfit(t, r, 1)[0])


# ------------------------------------------------------------------------------------------ synthesis
def _env(n_on: int, n_len: int, attack: float, release: float, decay: float | None = None) -> np.ndarray:
    """An envelope over LENGTH samples: silent before n_on, attack/release in seconds, optional exponential decay."""
    e = np.zeros(LENGTH)
    end = min(LENGTH, n_on + n_len)
    t = np.arange(end - n_on) / SR
    a = np.minimum(1, t / max(attack, 1e-4))
    r = np.minimum(1, (end - n_on - np.arange(end - n_on)) / SR / max(release, 1e-4))
    v = a * r
    if decay:
        v = v * np.exp(-t / decay)
    e[n_on:end] = v
    return e


def _partials(f0: np.ndarray | float, amps, env: np.ndarray, rng: random.Random, decay_per_h: float | None = None) -> np.ndarray:
    """A sum of harmonics of f0 (a number or a per-sample track), each below 3.7 kHz."""
    f0 = np.broadcast_to(np.asarray(f0, dtype=np.float64), (LENGTH,))
    phase0 = 2 * np.pi * np.cumsum(f0) / SR
    t = np.arange(LENGTH) / SR
    out = np.zeros(LENGTH)
    for h, a in enumerate(amps, start=1):
        if a <= 0 or f0.max() * h > 3700:
            continue
        part = a * np.sin(h * phase0 + rng.uniform(0, 2 * np.pi))
        if decay_per_h:
            part *= np.exp(-t * h ** 0.7 / decay_per_h)
        out += part
    return out * env


def _timbre(kind: str, f0, n_on: int, n_len: int, rng: random.Random) -> np.ndarray:
    if kind == "whistle":
        vib = 1 + rng.uniform(0, 0.004) * np.sin(2 * np.pi * rng.uniform(4.5, 6) * np.arange(LENGTH) / SR)
        return _partials(np.asarray(f0) * vib, [1.0], _env(n_on, n_len, 0.04, 0.06), rng)
    if kind == "organ":
        return _partials(f0, [1, 0.55, 0.35, 0.3, 0, 0.12, 0, 0.1], _env(n_on, n_len, 0.02, 0.03), rng) / 1.6
    if kind == "pluck":
        e = np.zeros(LENGTH)
        e[n_on:] = 1
        e *= _env(n_on, n_len, 0.003, 0.05)
        tt = np.maximum(0, np.arange(LENGTH) - n_on) / SR
        return _partials(f0, [1 / h for h in range(1, 13)], e * np.exp(-tt / rng.uniform(0.5, 0.9)), rng, decay_per_h=0.8) / 1.4
    if kind == "brass":
        e = _env(n_on, n_len, 0.08, 0.08)
        out = _partials(f0, [(1 / h) * math.exp(-h / 6) for h in range(1, 20)], e, rng)
        return out / 0.8
    raise ValueError(kind)


def _place(rng: random.Random, min_len: float = 0.8, max_len: float = 1.9) -> tuple[int, int]:
    n_len = int(SR * rng.uniform(min_len, max_len))
    n_on = int(SR * rng.uniform(0.05, max(0.06, LENGTH / SR - n_len / SR - 0.05)))
    return n_on, n_len


def _noise(rng: random.Random) -> np.ndarray:
    return np.random.default_rng(rng.randrange(2 ** 31)).standard_normal(LENGTH)


def _lowpass(x: np.ndarray, a: float) -> np.ndarray:
    y = np.empty_like(x)
    acc = 0.0
    for i, v in enumerate(x):
        acc += a * (v - acc)
        y[i] = acc
    return y


def _spectral_filter(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    X = np.fft.rfft(x)
    hz = np.fft.rfftfreq(len(x), 1 / SR)
    X[(hz < lo) | (hz > hi)] = 0
    return np.fft.irfft(X, n=len(x))


def synth(caption: str, rng: random.Random) -> np.ndarray:
    """The sound a caption names, with random placement, length and detail."""
    w = caption.replace(":", " ").split()
    if w[0] in TIMBRES and w[1] == "at":
        n_on, n_len = _place(rng)
        x = _timbre(w[0], note_hz(w[2]), n_on, n_len, rng)
    elif w[0] in TIMBRES and w[1] in ("chord", "arpeggio"):
        root = note_hz(w[2] + "4")
        steps = [0, 4 if w[3] == "major" else 3, 7]
        if w[1] == "chord":
            n_on, n_len = _place(rng)
            x = sum(_timbre(w[0], root * 2 ** (s / 12), n_on, n_len, rng) for s in steps) / 2.2
        else:
            each = rng.uniform(0.32, 0.45)
            n0 = int(SR * rng.uniform(0.05, 0.2))
            x = sum(_timbre(w[0], root * 2 ** (s / 12), n0 + int(i * each * SR), int(each * SR * 1.05), rng)
                    for i, s in enumerate(steps + [12]))
    elif w[0] in ("rising", "falling"):
        n_on, n_len = _place(rng, 1.0, 1.9)
        lo = rng.uniform(150, 450) if w[1] != "whistle" else rng.uniform(300, 700)
        hi = min(lo * 2 ** rng.uniform(1.2, 2.5), 2600 if w[1] == "whistle" else 900)
        a, b = (lo, hi) if w[0] == "rising" else (hi, lo)
        u = np.clip((np.arange(LENGTH) - n_on) / n_len, 0, 1)
        x = _timbre(w[1], a * (b / a) ** u, n_on, n_len, rng)
    elif w[0] == "sung":
        n_on, n_len = _place(rng, 0.9, 1.9)
        f0 = note_hz(w[3])
        vib = 1 + rng.uniform(0.004, 0.012) * np.sin(2 * np.pi * rng.uniform(5, 6.5) * np.arange(LENGTH) / SR)
        forms = VOWELS[w[1]]
        amps = []
        for h in range(1, 40):
            f = h * f0
            amps.append(sum(1 / (1 + ((f - F) / (60 + 0.06 * F)) ** 2) * (0.5 if i else 1) for i, F in enumerate(forms)) / h ** 0.3)
        x = _partials(f0 * vib, amps, _env(n_on, n_len, 0.06, 0.08), rng)
        x /= max(1e-9, np.abs(x).max()) / 0.5
    elif w[0] in ("drum", "snare") and w[1] == "hit":
        x = _drum(w[0], int(SR * rng.uniform(0.1, 0.9)), rng)
    elif w[:2] == ["drum", "beat"]:
        x = np.zeros(LENGTH)
        gap = rng.uniform(0.22, 0.45)
        t = rng.uniform(0.03, 0.15)
        k = 0
        while t < LENGTH / SR - 0.2:
            x += _drum("drum" if k % 2 == 0 else "snare", int(t * SR), rng)
            t += gap
            k += 1
    elif w[0] == "hiss":
        n_on, n_len = _place(rng, 1.0, 2.0)
        x = _noise(rng) * rng.uniform(0.08, 0.2) * _env(n_on, n_len, 0.05, 0.1)
    elif w[0] == "rain":
        base = _spectral_filter(_noise(rng), 400, 3500) * rng.uniform(0.03, 0.07)
        drops = np.zeros(LENGTH)
        for _ in range(rng.randint(25, 60)):
            at = rng.randrange(LENGTH - 400)
            f = rng.uniform(1200, 3500)
            tt = np.arange(400) / SR
            drops[at:at + 400] += rng.uniform(0.05, 0.25) * np.sin(2 * np.pi * f * tt) * np.exp(-tt / 0.008)
        x = (base + drops) * _env(0, LENGTH, 0.1, 0.1)
    elif w[0] == "wind":
        x = _lowpass(_noise(rng), rng.uniform(0.04, 0.09)) * 2.5
        t = np.arange(LENGTH) / SR
        x *= (0.6 + 0.4 * np.sin(2 * np.pi * rng.uniform(0.3, 0.8) * t + rng.uniform(0, 6))) * _env(0, LENGTH, 0.3, 0.3) * rng.uniform(0.15, 0.3)
    else:
        raise ValueError(f"no sound for caption {caption!r}")
    peak = np.abs(x).max()
    return (x * (rng.uniform(0.35, 0.6) / peak) if peak > 0 else x).astype(np.float32)


def _drum(kind: str, at: int, rng: random.Random) -> np.ndarray:
    x = np.zeros(LENGTH)
    n = min(LENGTH - at, int(0.45 * SR))
    t = np.arange(n) / SR
    if kind == "drum":
        f = rng.uniform(45, 60) + rng.uniform(90, 140) * np.exp(-t / 0.03)
        x[at:at + n] = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-t / rng.uniform(0.12, 0.22))
        x[at:at + 40] += np.random.default_rng(rng.randrange(2 ** 31)).standard_normal(min(40, n)) * 0.3
    else:
        noise = _spectral_filter(np.random.default_rng(rng.randrange(2 ** 31)).standard_normal(n), 1000, 3800)
        x[at:at + n] = noise * np.exp(-t / rng.uniform(0.06, 0.12)) * 1.5 + 0.5 * np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.05)
    return x


# ------------------------------------------------------------------------------------------ speech
def espeak_path() -> str:
    p = shutil.which("espeak-ng")
    if not p:
        raise SoundError("espeak-ng is not installed; it voices the spoken words of the audio data (Debian: apt install espeak-ng)")
    return p


def _resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    n = int(round(len(x) * dst / src))
    X = np.fft.rfft(x)
    keep = n // 2 + 1
    Y = np.zeros(keep, dtype=complex)
    m = min(keep, len(X))
    Y[:m] = X[:m]
    return np.fft.irfft(Y, n=n) * (n / len(x))


def speak(phrase: str, rng: random.Random) -> np.ndarray:
    """The phrase voiced by espeak-ng (a random English voice, variant, pitch and speed), at 8 kHz, placed in the sound."""
    exe = espeak_path()
    voice = rng.choice(VOICES) + rng.choice(VARIANTS)
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "s.wav")
        subprocess.run([exe, "-v", voice, "-p", str(rng.randint(25, 75)), "-s", str(rng.randint(120, 185)), "-w", out, phrase],
                       check=True, capture_output=True)
        with wave.open(out) as f:
            sr, raw = f.getframerate(), f.readframes(f.getnframes())
    x = np.frombuffer(raw, dtype=np.int16).astype(np.float64) / 32768
    nz = np.nonzero(np.abs(x) > 0.01)[0]
    x = x[nz[0]:nz[-1] + 1] if len(nz) else x
    x = _resample(x, sr, SR)[: LENGTH - 400]
    out = np.zeros(LENGTH)
    at = rng.randrange(100, max(101, LENGTH - len(x) - 100))
    out[at:at + len(x)] = x
    peak = np.abs(out).max()
    return (out * (rng.uniform(0.35, 0.6) / peak) if peak > 0 else out).astype(np.float32)


# ------------------------------------------------------------------------------------------ captions
def all_captions() -> dict[str, list[str]]:
    """Every caption of the data, by kind."""
    roots = [n.capitalize() for n in NAMES]
    return {
        "note": [f"{t} at {n.upper()}" for t in TIMBRES for n in (WHISTLE_NOTES if t == "whistle" else TIMBRE_NOTES)],
        "chord": [f"{t} chord {r} {q}" for t in TIMBRES for r in roots for q in ("major", "minor")],
        "arpeggio": [f"{t} arpeggio {r} {q}" for t in TIMBRES for r in roots for q in ("major", "minor")],
        "sweep": [f"{d} {t}" for d in ("rising", "falling") for t in TIMBRES],
        "sung": [f"sung {v} at {n.upper()}" for v in VOWELS for n in SUNG_NOTES],
        "drums": ["drum hit", "snare hit", "drum beat"],
        "noise": ["hiss", "rain", "wind"],
        "spoken": [f"spoken: {p}" for p in PHRASES],
    }


# How many sounds of each caption the full data set has (the kinds differ in how many captions they hold).
PER_CAPTION = {"note": 24, "chord": 20, "arpeggio": 16, "sweep": 90, "sung": 12, "drums": 150, "noise": 150, "spoken": 48}
# Timbre × note pairs never heard in training: validation (choices) and test (once) of pitch on unseen combinations.
VAL_PAIRS = ["organ at D4", "pluck at G#3", "brass at E4", "organ at A#4", "pluck at C5", "brass at F3"]
TEST_PAIRS = ["organ at F#3", "pluck at E4", "brass at A4", "organ at C5", "pluck at D#4", "brass at B3", "organ at G4", "pluck at A#4"]


def tokens(caption: str) -> list[str]:
    """The words of a prompt, as the model reads them: lower case; ':' ',' '.' are spaces."""
    for ch in ":,.;!?\"'":
        caption = caption.replace(ch, " ")
    return caption.lower().split()


def is_pitch_word(w: str) -> bool:
    """A note ("a4") or a chord root ("c")."""
    return w in NAMES or (len(w) >= 2 and w[-1].isdigit() and w[:-1] in NAMES)


def pitch_rows(words: list[str]) -> list[int]:
    """The picture rows a prompt's words name as pitches (the rule the deck's prompt reader follows too): a note
    ("a4") its row; a chord or arpeggio root ("c", meant in octave 4) its triad (major unless "minor" is said),
    the arpeggio with the octave above."""
    rows = set()
    for w in words:
        if len(w) >= 2 and w[-1].isdigit() and w[:-1] in NAMES:
            rows.add(round(note_row(note_hz(w))))
    if "chord" in words or "arpeggio" in words:
        root = next((w for w in words if w in NAMES), None)
        if root is not None:
            r = round(note_row(note_hz(root + "4")))
            steps = [0, 3 if "minor" in words else 4, 7] + ([12] if "arpeggio" in words else [])
            rows.update(r + k for k in steps)
    return sorted(r for r in rows if 0 <= r < BINS)


def vocabulary() -> list[str]:
    words = sorted({w for caps in all_captions().values() for c in caps for w in tokens(c)})
    return ["[pad]", "[start]"] + words


def build(limit: int | None, seed: int, log) -> tuple[np.ndarray, list[str], dict]:
    """Pictures [n, 64, 64] (float16) and captions of the training sounds, and a summary for the data card."""
    rng = random.Random(seed)
    held = set(VAL_PAIRS) | set(TEST_PAIRS)
    pics, caps, counts = [], [], {}
    for kind, captions in all_captions().items():
        captions = [c for c in captions if c not in held]
        per = PER_CAPTION[kind] if not limit else 1
        if limit:
            captions = captions[:limit]
        for c in captions:
            for _ in range(per):
                x = speak(c.split(": ", 1)[1], rng) if kind == "spoken" else synth(c, rng)
                pics.append(picture_of(x).astype(np.float16))
                caps.append(c)
        counts[kind] = {"captions": len(captions), "sounds": len(captions) * per}
        log(f"audio data: {kind}: {len(captions)} captions, {len(captions) * per} sounds")
    return np.stack(pics), caps, counts
