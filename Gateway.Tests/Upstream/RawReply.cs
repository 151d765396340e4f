using System.Text;

namespace Gateway.Tests.Upstream;

/// <summary>What the backend sends back: bytes, then optionally a close (FIN) or a reset (RST).</summary>
public sealed record RawReply(byte[] Bytes, bool Close = false, bool Reset = false)
{
    public RawReply(string text, bool close = false, bool reset = false) : this(Encoding.Latin1.GetBytes(text), close, reset)
    {
    }
}
