using HiStream.Engine.Checkpoints;

namespace HiStream.Engine.Text;

/// <summary>Reads the umT5 architecture off a checkpoint's tensor shapes, so any size of the layout loads without a preset.</summary>
public static class UmT5Checkpoint
{
    public static UmT5Config InferConfig(CheckpointFile file, int textLen = 512)
    {
        long[] Shape(string name) => file.Contains(name)
            ? file.Info(name).Shape
            : throw new InvalidDataException($"{file.Path}: no '{name}'; this is not a umT5 encoder checkpoint (reference key names expected).");
        var emb = Shape("token_embedding.weight");
        var q = Shape("blocks.0.attn.q.weight");
        var fc1 = Shape("blocks.0.ffn.fc1.weight");
        var pos = Shape("blocks.0.pos_embedding.embedding.weight");
        int layers = 0;
        while (file.Contains($"blocks.{layers}.norm1.weight")) layers++;
        if (file.Contains("pos_embedding.embedding.weight"))
            throw new InvalidDataException($"{file.Path}: has a shared position table (T5 shared_pos); only the umT5 layout with one table per layer is supported.");
        var config = new UmT5Config(
            Vocab: checked((int)emb[0]), Dim: checked((int)emb[1]), DimAttn: checked((int)q[0]), DimFfn: checked((int)fc1[0]),
            NumHeads: checked((int)pos[1]), NumLayers: layers, NumBuckets: checked((int)pos[0]), TextLen: textLen);
        config.Validate();
        return config;
    }
}
