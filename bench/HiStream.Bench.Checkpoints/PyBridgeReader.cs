using TorchSharp;
using TorchSharp.PyBridge;

namespace HiStream.Bench.Checkpoints;

/// <summary>TorchSharp.PyBridge's state-dict API; it reads every tensor of the file while unpickling.</summary>
internal static class PyBridgeReader
{
    public static Dictionary<string, torch.Tensor> Load(string path)
    {
        var root = PyTorchUnpickler.UnpickleStateDict(path);
        return StateDictTables.TensorsOf(StateDictTables.Select(root), value => value as torch.Tensor);
    }
}
