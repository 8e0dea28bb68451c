#!/usr/bin/perl
# Prints, for each bounce file given, one line per recipient Sisimai
# (the reference bounce classifier, Debian's libsisimai-perl) finds:
# file, recipient, reason, SMTP command, separated by tabs.
use strict;
use warnings;
use Sisimai;

for my $file (@ARGV) {
    my $found = Sisimai->make($file, 'delivered' => 1) || [];
    for my $e (@$found) {
        print join("\t", $file, lc($e->recipient->address), $e->reason, $e->smtpcommand // ''), "\n";
    }
}
