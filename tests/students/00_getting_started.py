"""Synthetic students for 00_getting_started: correct answers written differently, and plausible wrong ones."""

CORRECT = {  # a weighted sum of the three channels, on a float64 copy divided in place
    "rgb_to_gray": '''
def rgb_to_gray(image):
    pixels = np.array(image, dtype=np.float64)  # always a copy, so dividing in place leaves the input alone
    if np.asarray(image).dtype == np.uint8:
        pixels /= 255
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    return 0.2125 * red + 0.7154 * green + 0.0721 * blue
''',
}

WRONG = {
    "rgb_to_gray": '''
# scales by value, not by dtype: divides by 255 only when the largest value exceeds 1
def rgb_to_gray(image):
    pixels = np.asarray(image, dtype=np.float64)
    if pixels.max() > 1:
        pixels = pixels / 255.0
    return pixels @ np.array([0.2125, 0.7154, 0.0721])
''',
}
