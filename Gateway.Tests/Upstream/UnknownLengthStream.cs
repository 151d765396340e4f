namespace Gateway.Tests.Upstream;

/// <summary>A readable stream that will not say its length, so content over it is sent chunked (as YARP's streamed bodies are).</summary>
public sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
{
    public override bool CanSeek => false;
}
