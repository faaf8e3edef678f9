using ProviderTools;

// provider-tools: registers providers and their offers (cli-reference.md). Reads config.json from the folder it runs in.
return await ProviderApp.RunAsync(args);
