/// Turns an RGB image into the model's input as `CLIPImageProcessor` does with its PIL
/// backend: resize the shortest side with PIL's resampling, centre-crop, rescale, normalise.
///
/// Resizing reproduces Pillow's integer arithmetic: separable passes (horizontal first) with
/// filter weights rounded to 22-bit fixed point and 8-bit results between the passes, so
/// pixels come out identical, not merely close.
public struct CLIPImagePreprocessor: Sendable {
    public let config: CLIPPreprocessorConfig

    public init(config: CLIPPreprocessorConfig) {
        self.config = config
    }

    /// Output height and width.
    public var outputSize: (height: Int, width: Int) {
        config.doCenterCrop ? (config.cropHeight, config.cropWidth) : (config.shortestEdge, config.shortestEdge)
    }

    /// The size the shortest side is resized to, the other side scaled and truncated.
    public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        let size = config.shortestEdge
        if width <= height {
            return (size, Int(Double(size) * Double(height) / Double(width)))
        }
        return (Int(Double(size) * Double(width) / Double(height)), size)
    }

    /// Channel-first floats (3 × H × W) for one image.
    public func pixelValues(_ image: RGBImage) -> [Float] {
        let (outHeight, outWidth) = outputSize
        var out = [Float](repeating: 0, count: 3 * outHeight * outWidth)
        out.withUnsafeMutableBufferPointer { write(image, into: $0.baseAddress!) }
        return out
    }

    /// Writes channel-first floats for `image` at `destination` (3 × H × W values).
    func write(_ image: RGBImage, into destination: UnsafeMutablePointer<Float>) {
        var current = image
        if config.doResize {
            let target = resizedSize(width: image.width, height: image.height)
            current = Resampler.resize(image, width: target.width, height: target.height, filter: config.resample)
        }
        // Without do_center_crop transformers passes the resized image on whole, which only a
        // square image fits; the destination holds `outputSize`, so crop (or pad) to it always.
        let (cropHeight, cropWidth) = outputSize
        // Smaller than the crop: pad with zeros around the image, as transformers does.
        let top = (current.height - cropHeight) >= 0 ? (current.height - cropHeight) / 2 : -Int((Double(cropHeight - current.height) / 2).rounded(.up))
        let left = (current.width - cropWidth) >= 0 ? (current.width - cropWidth) / 2 : -Int((Double(cropWidth - current.width) / 2).rounded(.up))
        let plane = cropHeight * cropWidth
        var lookup = [[Float]](repeating: [], count: 3)
        for channel in 0..<3 {
            lookup[channel] = (0..<256).map { value in
                var x = Float(value)
                // float64(u8) × factor, then float32, as numpy does; then (x - mean) / std in float32.
                if config.doRescale { x = Float(Double(value) * config.rescaleFactor) }
                if config.doNormalize { x = (x - config.mean[channel]) / config.std[channel] }
                return x
            }
        }
        let zero = lookup.map { $0[0] }
        current.pixels.withUnsafeBufferPointer { pixels in
            for y in 0..<cropHeight {
                let sy = y + top
                for x in 0..<cropWidth {
                    let sx = x + left
                    let inside = sy >= 0 && sy < current.height && sx >= 0 && sx < current.width
                    let source = (sy * current.width + sx) * 3
                    for channel in 0..<3 {
                        destination[channel * plane + y * cropWidth + x] =
                            inside ? lookup[channel][Int(pixels[source + channel])] : zero[channel]
                    }
                }
            }
        }
    }
}

/// Pillow's `Image.resize` for 8-bit RGB with bilinear or bicubic filters.
enum Resampler {
    static let precisionBits = 22

    static func support(_ filter: CLIPPreprocessorConfig.Resample) -> Double {
        filter == .bicubic ? 2 : 1
    }

    static func weight(_ filter: CLIPPreprocessorConfig.Resample, _ value: Double) -> Double {
        let x = abs(value)
        switch filter {
        case .bilinear:
            return x < 1 ? 1 - x : 0
        case .bicubic:
            // Keys' cubic convolution with a = -0.5.
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
    }

    /// Fixed-point weights for each output position: first input index, tap count, taps.
    struct Coefficients {
        var first: [Int]
        var taps: [Int]
        var kernelSize: Int
        var weights: [Int32]
    }

    static func coefficients(inSize: Int, outSize: Int, filter: CLIPPreprocessorConfig.Resample) -> Coefficients {
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = support(filter) * filterScale
        let kernelSize = Int(support.rounded(.up)) * 2 + 1
        let inverseScale = 1.0 / filterScale
        var result = Coefficients(
            first: [Int](repeating: 0, count: outSize), taps: [Int](repeating: 0, count: outSize), kernelSize: kernelSize,
            weights: [Int32](repeating: 0, count: outSize * kernelSize))
        var k = [Double](repeating: 0, count: kernelSize)
        for xx in 0..<outSize {
            let center = (Double(xx) + 0.5) * scale
            // Pillow multiplies by the reciprocal of the scale; dividing would change low bits.
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), inSize) - xmin
            var total = 0.0
            for x in 0..<xmax {
                let w = weight(filter, (Double(x + xmin) - center + 0.5) * inverseScale)
                k[x] = w
                total += w
            }
            for x in 0..<xmax {
                var w = k[x]
                if total != 0 { w /= total }
                let scaled = w * Double(1 << precisionBits)
                result.weights[xx * kernelSize + x] = Int32(w < 0 ? Int(-0.5 + scaled) : Int(0.5 + scaled))
            }
            result.first[xx] = xmin
            result.taps[xx] = xmax
        }
        return result
    }

    @inline(__always)
    static func clip8(_ value: Int32) -> UInt8 {
        let shifted = value >> Int32(precisionBits)
        return shifted < 0 ? 0 : shifted > 255 ? 255 : UInt8(shifted)
    }

    static func resize(_ image: RGBImage, width: Int, height: Int, filter: CLIPPreprocessorConfig.Resample) -> RGBImage {
        if width == image.width && height == image.height { return image }
        var current = image
        if width != image.width {
            let c = coefficients(inSize: image.width, outSize: width, filter: filter)
            var out = [UInt8](repeating: 0, count: width * image.height * 3)
            image.pixels.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    c.weights.withUnsafeBufferPointer { weights in
                        for y in 0..<image.height {
                            let row = y * image.width * 3
                            for xx in 0..<width {
                                let base = xx * c.kernelSize
                                var s0 = Int32(1 << (precisionBits - 1)), s1 = s0, s2 = s0
                                for x in 0..<c.taps[xx] {
                                    let p = row + (x + c.first[xx]) * 3
                                    let w = weights[base + x]
                                    s0 &+= Int32(src[p]) &* w
                                    s1 &+= Int32(src[p + 1]) &* w
                                    s2 &+= Int32(src[p + 2]) &* w
                                }
                                let o = (y * width + xx) * 3
                                dst[o] = clip8(s0); dst[o + 1] = clip8(s1); dst[o + 2] = clip8(s2)
                            }
                        }
                    }
                }
            }
            current = RGBImage(unchecked: width, image.height, out)
        }
        if height != current.height {
            let c = coefficients(inSize: current.height, outSize: height, filter: filter)
            var out = [UInt8](repeating: 0, count: width * height * 3)
            let stride = width * 3
            current.pixels.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    c.weights.withUnsafeBufferPointer { weights in
                        for yy in 0..<height {
                            let base = yy * c.kernelSize
                            for i in 0..<stride {
                                var s = Int32(1 << (precisionBits - 1))
                                for y in 0..<c.taps[yy] {
                                    s &+= Int32(src[(y + c.first[yy]) * stride + i]) &* weights[base + y]
                                }
                                dst[yy * stride + i] = clip8(s)
                            }
                        }
                    }
                }
            }
            current = RGBImage(unchecked: width, height, out)
        }
        return current
    }
}

extension RGBImage {
    init(unchecked width: Int, _ height: Int, _ pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
