using System.Net;

namespace Gateway.Upstream;

/// <summary>A response's content: the body stream, handed out once (YARP reads it as a stream and copies it).</summary>
internal sealed class LeanResponseContent : HttpContent
{
    private Stream _body = Stream.Null;

    public void SetBody(Stream body) => _body = body;

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => _body.CopyToAsync(stream);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken) =>
        _body.CopyToAsync(stream, cancellationToken);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override Stream CreateContentReadStream(CancellationToken cancellationToken) => _body;

    protected override Task<Stream> CreateContentReadStreamAsync() => Task.FromResult(_body);

    protected override Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) => Task.FromResult(_body);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _body.Dispose();
        }

        base.Dispose(disposing);
    }
}
