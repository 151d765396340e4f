using System.IO.Pipelines;

namespace Gateway.Transport;

/// <summary>One side of a connection: what it reads and what it writes.</summary>
internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;
}
