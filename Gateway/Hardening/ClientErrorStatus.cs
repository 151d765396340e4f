using Microsoft.AspNetCore.Http;

namespace Gateway.Hardening;

/// <summary>
/// The status for a request the gateway could not forward because of the client: Kestrel's own verdict when it refused
/// the body (413 past <c>MaxRequestBodyBytes</c>, 408 below the minimum data rate, 400 for a malformed chunk), else 400.
/// </summary>
internal static class ClientErrorStatus
{
    public static int From(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is BadHttpRequestException bad)
            {
                return bad.StatusCode;
            }

            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (From(inner) is var status and not StatusCodes.Status400BadRequest)
                    {
                        return status;
                    }
                }
            }
        }

        return StatusCodes.Status400BadRequest;
    }
}
