"""The corruptions: each one's contract on real digits, that each follows its
reference (scipy's affine_transform, scikit-image's canny), and the
registry."""

from __future__ import annotations

import importlib.metadata
import zlib

import numpy as np
import pytest
from scipy import ndimage
from skimage import feature

from mnistbench import corruptions, data
from mnistbench.corruptions import CorruptionError
from mnistbench.corruptions import _registry as registry

BUILTIN = (
    "shot_noise",
    "impulse_noise",
    "glass_blur",
    "motion_blur",
    "shear",
    "scale",
    "rotate",
    "brightness",
    "translate",
    "stripe",
    "fog",
    "spatter",
    "dotted_line",
    "zigzag",
    "canny_edges",
    "contrast",
    "inverse",
)
# these draw no random number: their images depend on image and severity only
DETERMINISTIC = {"scale", "brightness", "stripe", "canny_edges", "contrast", "inverse"}
NAMES = corruptions.available()
SEVERITIES = (1, 2, 3, 4, 5)


@pytest.fixture(scope="module")
def digits() -> np.ndarray:
    """64 real test digits, float32 in [0, 1]."""
    return data.load("mnist-sample").images("test")[:64].copy()


@pytest.fixture(scope="module")
def many_digits() -> np.ndarray:
    return data.load("mnist-sample").images("test")[:256].copy()


def as_uint8(images: np.ndarray) -> np.ndarray:
    return np.rint(images * 255).astype(np.uint8)


def stream(name: str, severity: int, seed: int) -> np.random.Generator:
    """The generator :func:`corruptions.corrupt` hands the corruption."""
    entropy = [seed, severity, zlib.crc32(name.encode())]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def check_contract(images: np.ndarray, out: np.ndarray) -> None:
    assert out.shape == images.shape and out.dtype == images.dtype
    assert not np.shares_memory(out, images)
    if images.dtype == np.uint8:
        return  # 0..255 by its dtype
    assert out.min() >= 0 and out.max() <= 1
    # on MNIST-C's 1/255 grid
    levels = np.rint(out.astype(np.float64) * 255)
    assert np.array_equal(out, (levels / 255).astype(out.dtype))


def test_the_builtin_corruptions_in_order():
    assert tuple(NAMES[: len(BUILTIN)]) == BUILTIN
    for name in BUILTIN:
        entry = corruptions.info(name)
        assert entry.source == "built-in" and entry.func is corruptions.get(name)
        assert f"corruptions.py {name}" in entry.reference
        assert entry.summary and "\n" not in entry.summary


@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("severity", SEVERITIES)
@pytest.mark.parametrize("name", NAMES)
def test_shape_dtype_and_range_kept_input_untouched(digits, name, severity, dtype):
    images = as_uint8(digits) if dtype == "uint8" else digits.copy()
    before = images.copy()
    out = corruptions.corrupt(images, name, severity, seed=3)
    check_contract(images, out)
    assert np.array_equal(images, before)


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_for_a_seed(digits, name):
    first = corruptions.corrupt(digits, name, 3, seed=1)
    assert np.array_equal(first, corruptions.corrupt(digits, name, 3, seed=1))
    other = corruptions.corrupt(digits, name, 3, seed=2)
    assert np.array_equal(first, other) == (name in DETERMINISTIC)


def test_each_severity_has_its_own_stream(digits):
    # were the draws shared, the pixels hit at severity 1 (u < 0.03) would
    # all be hit at severity 2 (u < 0.06) too
    images = np.full((64, 28, 28), 128, np.uint8)
    hit_1 = corruptions.corrupt(images, "impulse_noise", 1, seed=0) != 128
    hit_2 = corruptions.corrupt(images, "impulse_noise", 2, seed=0) != 128
    assert hit_1.sum() > 1000 and (hit_1 & ~hit_2).sum() > 0.9 * hit_1.sum()


# Damage = mean absolute change from the clean digits. It rises with every
# severity step except: inverse (no severity in Fashion-MNIST-C's use:
# the same at all five); spatter (MNIST-C's severity-4 parameters, blur 1
# with a mask blur of 1.5, leave fewer blots than its severity 3's);
# motion_blur (severity 4 to 5 saturates: the streak of sigma 12 or 15 on a
# 28-pixel image already smears the digit to the edge); fog (a handful of
# fractals per batch set its level: only the extremes are far enough apart).
NOT_STRICT = {"spatter", "motion_blur", "fog"}


@pytest.mark.parametrize("name", NAMES)
def test_damage_grows_with_severity(many_digits, name):
    damage = [
        np.abs(corruptions.corrupt(many_digits, name, s) - many_digits).mean()
        for s in SEVERITIES
    ]
    if name == "inverse":
        assert len(set(damage)) == 1
        return
    assert damage[-1] > damage[0]
    if name not in NOT_STRICT:
        assert all(a < b for a, b in zip(damage, damage[1:])), damage


def expected_affine(name, severity, seed, shape):
    """Each image's (matrix, offset), from the docstrings' formulas and the
    draws they document."""
    n, h, w = shape
    rng = stream(name, severity, seed)
    center = np.array([(h - 1) / 2, (w - 1) / 2])
    maps = []
    if name == "translate":
        c = (1, 2, 3, 4, 5)[severity - 1]
        signs = rng.choice(np.array([-1.0, 1.0]), size=(n, 2))
        for sign_x, sign_y in signs:
            offset = np.array([c * sign_y * h / 28, c * sign_x * w / 28])
            maps.append((np.eye(2), offset))
        return maps
    if name == "scale":
        k = 1 / (0.9, 0.8, 0.7, 0.6, 0.5)[severity - 1]
        matrices = [np.array([[k, 0.0], [0.0, k]])] * n
    else:
        c = (0.2, 0.4, 0.6, 0.8, 1.0)[severity - 1]
        angles = c * rng.choice(np.array([-1.0, 1.0]), size=n)
        cos, sin = np.cos(angles), np.sin(angles)
        if name == "shear":
            matrices = [np.array([[co, 0.0], [-si, 1.0]]) for co, si in zip(cos, sin)]
        else:
            matrices = [np.array([[co, si], [-si, co]]) for co, si in zip(cos, sin)]
    return [(m, center - m @ center) for m in matrices]


@pytest.mark.parametrize("shape", [(28, 28), (20, 24)])
@pytest.mark.parametrize("severity", [1, 4])
@pytest.mark.parametrize("name", ["shear", "scale", "rotate", "translate"])
def test_geometric_ones_are_affine_transforms(digits, name, severity, shape):
    h, w = shape
    images = as_uint8(digits[:16, 4 : 4 + h, 2 : 2 + w] if h < 28 else digits[:16])
    out = corruptions.corrupt(images, name, severity, seed=5)
    maps = expected_affine(name, severity, 5, images.shape)
    expected = np.array(
        [
            ndimage.affine_transform(
                image / 255.0, matrix, offset, order=1, mode="grid-constant", cval=0
            )
            for image, (matrix, offset) in zip(images, maps)
        ]
    )
    expected = np.rint(np.clip(expected, 0, 1) * 255).astype(np.uint8)
    # the same map; a rounding tie (k + 0.5) / 255 may land either side
    differ = out.astype(int) - expected
    assert np.abs(differ).max() <= 1 and np.count_nonzero(differ) <= 2


def test_translate_moves_by_whole_pixels_scaled_with_the_image():
    images = np.zeros((8, 56, 56), np.uint8)
    images[:, 20:30, 24:34] = 255
    out = corruptions.corrupt(images, "translate", 1, seed=0)
    signs = stream("translate", 1, 0).choice(np.array([-1.0, 1.0]), size=(8, 2))
    for image, moved, (sign_x, sign_y) in zip(images, out, signs):
        # 1 pixel of a 28-pixel image is 2 of a 56-pixel one; it moves by
        # minus the offset the input is read at
        dy, dx = int(-2 * sign_y), int(-2 * sign_x)
        assert np.array_equal(moved, np.roll(image, (dy, dx), axis=(0, 1)))


@pytest.mark.parametrize("severity", SEVERITIES)
def test_canny_edges_is_skimage_canny(digits, severity):
    sigma = (0.5, 0.75, 1.0, 1.5, 2.0)[severity - 1]
    images = as_uint8(digits)
    out = corruptions.corrupt(images, "canny_edges", severity)
    expected = [feature.canny(image / 255.0, sigma=sigma) for image in images]
    assert np.array_equal(out, np.array(expected).astype(np.uint8) * 255)
    out = corruptions.corrupt(digits, "canny_edges", severity)
    expected = [feature.canny(image.astype(np.float64), sigma) for image in digits]
    assert np.array_equal(out, np.array(expected, dtype=np.float32))


def test_canny_edges_is_skimage_canny_on_noise_of_another_size():
    noise = np.random.default_rng(0).random((32, 20, 24))
    out = corruptions.corrupt(noise, "canny_edges", 3)
    sigma = np.sqrt(20 * 24) / 28  # MNIST-C's 1, scaled with the image
    expected = [feature.canny(image, sigma=sigma) for image in noise]
    assert np.array_equal(out, np.array(expected, dtype=np.float64))


@pytest.mark.parametrize("shape", [(20, 24), (32, 32)])
@pytest.mark.parametrize("name", NAMES)
def test_images_of_other_sizes(digits, name, shape):
    h, w = shape
    if h < 28:
        images = digits[:16, 4 : 4 + h, 2 : 2 + w].astype(np.float64)
    else:
        images = np.pad(digits[:16], ((0, 0), (2, 2), (2, 2))).astype(np.float64)
    for severity in SEVERITIES:
        out = corruptions.corrupt(images, name, severity, seed=1)
        check_contract(images, out)
        assert not np.array_equal(out, images), (name, severity)


def test_one_image_and_an_empty_batch(digits):
    one = corruptions.corrupt(digits[0], "zigzag", 2, seed=4)
    assert np.array_equal(one, corruptions.corrupt(digits[:1], "zigzag", 2, 4)[0])
    empty = np.zeros((0, 28, 28), np.uint8)
    assert corruptions.corrupt(empty, "fog", 3).shape == (0, 28, 28)


def darken(images, severity, rng):
    """Darker by 10% per severity, plus a little noise."""
    noise = rng.integers(0, 2, size=images.shape)
    out = np.clip(images * (1 - 0.1 * severity) + noise, 0, 255)
    return out.astype(images.dtype)


@pytest.fixture
def user_corruption():
    entry = corruptions.register("darken", darken)
    yield entry
    corruptions.unregister("darken")


def test_register_a_user_corruption(user_corruption, digits):
    images = as_uint8(digits)
    assert user_corruption.summary == "Darker by 10% per severity, plus a little noise."
    assert corruptions.info("darken").source == "user"
    assert corruptions.available()[-1] == "darken"
    assert corruptions.select("all")[-1] == "darken"
    out = corruptions.corrupt(images, "darken", 2, seed=7)
    assert np.array_equal(out, darken(images, 2, stream("darken", 2, 7)))
    with pytest.raises(CorruptionError, match="already registered"):
        corruptions.register("darken", darken)
    again = corruptions.register("darken", darken, overwrite=True, summary="Dark.")
    assert corruptions.info("darken") is again and again.summary == "Dark."
    corruptions.unregister("darken")
    assert "darken" not in corruptions.available()
    corruptions.unregister("darken")  # absent: a no-op


def test_registered_names_and_functions_are_checked():
    for bad in ("all", "", "two words", "a-b", 3):
        with pytest.raises(CorruptionError, match="letters, digits and underscores"):
            corruptions.register(bad, darken)
    with pytest.raises(TypeError, match="not callable"):
        corruptions.register("nothing", None)


def writes_its_input(images, severity, rng):
    images[0, 0, 0] = 1
    return images


def wrong_dtype(images, severity, rng):
    return images.astype(np.float64)


@pytest.mark.parametrize(
    ("func", "error", "match"),
    [
        (writes_its_input, ValueError, "read-only"),
        (wrong_dtype, CorruptionError, "returned float64"),
    ],
)
def test_a_corruption_cannot_touch_its_input_or_change_the_dtype(
    digits, func, error, match
):
    corruptions.register("bad_one", func)
    try:
        images = as_uint8(digits)
        before = images.copy()
        with pytest.raises(error, match=match):
            corruptions.corrupt(images, "bad_one", 1)
        assert np.array_equal(images, before)
    finally:
        corruptions.unregister("bad_one")


def test_unknown_name_is_one_line_with_the_valid_names(digits):
    for call in (
        lambda: corruptions.corrupt(digits, "xyz", 3),
        lambda: corruptions.get("xyz"),
        lambda: corruptions.info("xyz"),
        lambda: corruptions.select("shear,xyz"),
    ):
        with pytest.raises(CorruptionError) as caught:
            call()
        message = str(caught.value)
        assert message.startswith("unknown corruption 'xyz'; valid names: shot_noise, ")
        assert message.endswith(", canny_edges, contrast, inverse, or all")
        assert "\n" not in message


@pytest.mark.parametrize("bad", [0, 6, 7, "7", 2.5, "3.5", "x", True, None, "1,9"])
def test_bad_severity_is_one_line(digits, bad):
    with pytest.raises(CorruptionError) as caught:
        corruptions.severities(bad)
    assert str(caught.value).startswith("severity must be a whole number from 1 to 5")
    assert "\n" not in str(caught.value)
    with pytest.raises(CorruptionError, match="severity must be"):
        corruptions.corrupt(digits, "shear", bad)


def test_severity_message():
    with pytest.raises(CorruptionError) as caught:
        corruptions.severities("7")
    expected = "severity must be a whole number from 1 to 5, or all; got '7'"
    assert str(caught.value) == expected


def test_select_and_severities():
    assert corruptions.select("all") == BUILTIN
    assert corruptions.select("shear,rotate") == ("shear", "rotate")
    assert corruptions.select(["rotate", "shear, rotate", "all"])[:3] == (
        "rotate",
        "shear",
        "shot_noise",
    )
    assert len(corruptions.select(["all", "all"])) == len(BUILTIN)
    for empty in ("", " , ", []):
        with pytest.raises(CorruptionError, match="no corruption given"):
            corruptions.select(empty)
    assert corruptions.severities("all") == (1, 2, 3, 4, 5)
    assert corruptions.severities(3) == (3,)
    assert corruptions.severities("3") == (3,)
    assert corruptions.severities(np.int64(2)) == (2,)
    assert corruptions.severities("1, 3,5") == (1, 3, 5)
    assert corruptions.severities(["5", 1, "all"]) == (5, 1, 2, 3, 4)
    assert corruptions.severities(4.0) == (4,)
    with pytest.raises(CorruptionError):
        corruptions.severities([])


@pytest.mark.parametrize(
    ("images", "match"),
    [
        (np.zeros((2, 3, 28, 28), np.uint8), "batch"),
        (np.zeros((2, 28, 28), np.int32), "uint8"),
        (np.full((2, 28, 28), 1.5), r"\[0, 1\]"),
        (np.full((2, 28, 28), np.nan), r"\[0, 1\]"),
    ],
)
def test_bad_images(images, match):
    with pytest.raises(CorruptionError, match=match):
        corruptions.corrupt(images, "shear", 1)


@pytest.mark.parametrize("seed", [-1, 1.5, "1", True])
def test_bad_seed(digits, seed):
    with pytest.raises(CorruptionError, match="seed must be a non-negative integer"):
        corruptions.corrupt(digits, "shear", 1, seed=seed)


def test_plugins_load_once_and_a_bad_one_only_warns(monkeypatch, digits):
    points = [
        importlib.metadata.EntryPoint("neg", "test_corruptions:darken", "g"),
        importlib.metadata.EntryPoint("broken", "no_such_module_here:f", "g"),
        importlib.metadata.EntryPoint("shear", "test_corruptions:darken", "g"),
    ]

    def entry_points(group):
        assert group == corruptions.ENTRY_POINT_GROUP
        return points

    before = dict(registry._REGISTRY)
    monkeypatch.setattr(registry, "_plugins_loaded", False)
    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    try:
        with pytest.warns(RuntimeWarning) as caught:
            names = corruptions.available()
        messages = sorted(str(w.message) for w in caught)
        assert len(messages) == 2
        assert "'broken'" in messages[0] and "failed to load" in messages[0]
        assert "'shear'" in messages[1] and "the name is taken" in messages[1]
        assert names == [*BUILTIN, "neg"]
        assert corruptions.info("neg").source == "plugin test_corruptions:darken"
        assert corruptions.info("shear").source == "built-in"
        assert corruptions.corrupt(as_uint8(digits), "neg", 1).dtype == np.uint8
        assert corruptions.available() == names  # loaded once
    finally:
        registry._REGISTRY.clear()
        registry._REGISTRY.update(before)
