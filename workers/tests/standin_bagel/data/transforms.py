"""Stand-in for BAGEL's data/transforms.py: ImageTransform keeps its arguments."""


class ImageTransform:
    def __init__(self, max_image_size, min_image_size, image_stride, **kwargs):
        self.max_image_size, self.min_image_size, self.stride = max_image_size, min_image_size, image_stride
