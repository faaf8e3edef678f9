using Sp.Client.Config;
using Spctl;

// spctl: the command-line client of the network (cli-reference.md). Errors: one line on stderr, exit code 1,
// details in spctl.log beside the config file.
return await App.RunAsync(args);
