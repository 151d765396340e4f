namespace Gateway.Fleet;

/// <summary>
/// A worker's addresses as it reports them once bound (ModelWorker/ListeningLine):
/// <c>ModelWorker listening: http=URL[,URL] [grpc=URL[,URL]]</c>. The fleet starts workers on port 0 and takes their
/// addresses from this line, never from a port it picked itself: a port picked, released and handed to a child can
/// be taken by another process before the child binds it (the soak lost requests to "address already in use").
/// </summary>
internal sealed record WorkerListening(string Http, string? Grpc)
{
    public const string Prefix = "ModelWorker listening: ";

    public int Port => new Uri(Http).Port;

    /// <summary>The first address of each kind; false for any other line, or one without a usable http address.</summary>
    public static bool TryParse(string line, out WorkerListening listening)
    {
        listening = null!;
        if (!line.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        string? http = null, grpc = null;
        foreach (var field in line[Prefix.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = field.IndexOf('=', StringComparison.Ordinal) is var eq and > 0 ? (field[..eq], field[(eq + 1)..]) : (field, "");
            var first = value.Split(',', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
            if (key == "http")
            {
                http = first;
            }
            else if (key == "grpc")
            {
                grpc = first;
            }
        }

        if (!Uri.TryCreate(http, UriKind.Absolute, out var uri) || uri.Port <= 0 || (grpc is not null && !Uri.TryCreate(grpc, UriKind.Absolute, out _)))
        {
            return false;
        }

        listening = new WorkerListening(http!.TrimEnd('/'), grpc?.TrimEnd('/'));
        return true;
    }
}
