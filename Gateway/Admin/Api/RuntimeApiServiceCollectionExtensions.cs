using Microsoft.Extensions.DependencyInjection;
using Yarp.ReverseProxy.Health;

namespace Gateway.Admin.Api;

internal static class RuntimeApiServiceCollectionExtensions
{
    /// <summary>
    /// The runtime API's state and control, and every registered <see cref="IAvailableDestinationsPolicy"/> wrapped so it
    /// honours drain and disable. Call after every policy is registered (YARP's come with AddReverseProxy).
    /// </summary>
    public static IServiceCollection AddRuntimeApi(this IServiceCollection services)
    {
        services.AddSingleton<DestinationOverrides>();
        services.AddSingleton<RuntimeControl>();
        for (var i = 0; i < services.Count; i++)
        {
            var descriptor = services[i];
            if (descriptor.ServiceType != typeof(IAvailableDestinationsPolicy) || descriptor.IsKeyedService)
            {
                continue;
            }

            services[i] = ServiceDescriptor.Singleton<IAvailableDestinationsPolicy>(sp =>
                new OverridingAvailableDestinationsPolicy(Create(sp, descriptor), sp.GetRequiredService<DestinationOverrides>()));
        }

        return services;
    }

    private static IAvailableDestinationsPolicy Create(IServiceProvider services, ServiceDescriptor descriptor) =>
        (IAvailableDestinationsPolicy)(descriptor.ImplementationInstance
            ?? descriptor.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));
}
