Console.WriteLine("histream: not implemented yet");
return 0;
