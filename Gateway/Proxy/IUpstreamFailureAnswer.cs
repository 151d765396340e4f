using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Model;

namespace Gateway.Proxy;

/// <summary>
/// An HttpContext feature through which a front end answers upstream failures in its own terms instead of the gateway's
/// problem+json. The nginx front sets it for the routes the nginx.conf translator made (route metadata
/// <c>NginxLocation</c>): nginx's error pages and <c>error_page</c>, <c>$upstream_addr</c>/<c>$upstream_status</c> and
/// nginx's error log. Its presence also switches the retry rule to nginx's (see <see cref="AttemptState.RetryWhileTriesLeft"/>):
/// a retry that finds no live destination ends the request with 502 ("no live upstreams"), as nginx does.
/// </summary>
public interface IUpstreamFailureAnswer
{
    /// <summary>A try that got no answer (refused, reset, timed out): <paramref name="status"/> is 502 or 504.</summary>
    void TryFailed(DestinationState destination, int status, string cause);

    /// <summary>
    /// A try at <paramref name="destination"/> ended, whatever came of it (called before the next destination is picked):
    /// nginx counts max_fails/fail_timeout from every try's end.
    /// </summary>
    void TryEnded(ClusterState cluster, DestinationState destination, Gateway.Health.ForwardOutcome outcome);

    /// <summary>
    /// The request ends without a destination's response: <paramref name="status"/> is 502, 504 or 400;
    /// <paramref name="noLive"/> when it ends because no destination could be tried (all failed, down or at max_conns).
    /// </summary>
    Task AnswerAsync(HttpContext context, int status, bool noLive);
}
