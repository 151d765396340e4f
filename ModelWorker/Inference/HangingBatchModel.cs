using ModelWorker.Batching;

namespace ModelWorker.Inference;

/// <summary>
/// Test-only (<c>--test-only-hang-after-batches N</c>): the real model for N batches, then a Run that never returns,
/// as a deadlocked GPU driver or a stuck native call would. Lets tests see liveness fail and the fleet supervisor
/// replace the worker with a real process; nothing turns it on unless that option is given.
/// </summary>
internal sealed class HangingBatchModel(IBatchModel inner, int batchesBeforeHang) : IBatchModel
{
    private int _runs;

    public int FeatureCount => inner.FeatureCount;

    public int ClassCount => inner.ClassCount;

    public string Device => inner.Device;

    public void Run(Memory<float> input, Memory<float> output, int batchSize)
    {
        if (++_runs > batchesBeforeHang)
        {
            Thread.Sleep(Timeout.Infinite); // only the batch loop calls Run; the process ends with SIGTERM/SIGKILL
        }

        inner.Run(input, output, batchSize);
    }
}
