namespace HiStream.Grains.Media;

/// <summary>A picture of a latent frame for videos rendered without a decoder: channels 0..2 as RGB, each
/// stretched to 0..255 over its own range, each latent pixel shown as an 8×8 block.</summary>
public static class LatentPreview
{
    public static (byte[] Rgb, int Width, int Height) Render(long[] shape, float[] data, int latentFrame, int scale = 8)
    {
        if (shape.Length != 4) throw new ArgumentException("Latents must be [C, F, H, W].");
        int c = (int)shape[0], f = (int)shape[1], h = (int)shape[2], w = (int)shape[3];
        latentFrame = Math.Clamp(latentFrame, 0, f - 1);
        int width = w * scale, height = h * scale;
        var rgb = new byte[width * height * 3];
        for (int ch = 0; ch < 3; ch++)
        {
            int src = Math.Min(ch, c - 1);
            long offset = ((long)src * f + latentFrame) * h * w;
            float min = float.MaxValue, max = float.MinValue;
            for (int i = 0; i < h * w; i++)
            {
                float v = data[offset + i];
                if (v < min) min = v;
                if (v > max) max = v;
            }
            float range = max - min < 1e-6f ? 1 : max - min;
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    rgb[(y * width + x) * 3 + ch] = (byte)Math.Clamp((data[offset + y / scale * w + x / scale] - min) / range * 255f, 0, 255);
        }
        return (rgb, width, height);
    }
}
