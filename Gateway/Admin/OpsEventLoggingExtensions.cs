using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Gateway.Admin;

internal static class OpsEventLoggingExtensions
{
    /// <summary>
    /// Feeds the status page's event log from the fleet's and the config watcher's log lines. The provider's own
    /// filter rules win over the general minimum level, so the events are kept even when the console shows only warnings.
    /// </summary>
    public static ILoggingBuilder AddOpsEvents(this ILoggingBuilder logging)
    {
        logging.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILoggerProvider, OpsEventLoggerProvider>());
        logging.AddFilter<OpsEventLoggerProvider>(null, LogLevel.None);
        foreach (var category in OpsEventLoggerProvider.Categories)
        {
            logging.AddFilter<OpsEventLoggerProvider>(category, LogLevel.Information);
        }

        return logging;
    }
}
