# acrhealth (MIT licence). The pull question: never asked without a terminal, answered on one.
SAMPLE_IMAGE = 'mcr.microsoft.com/mcr/hello-world:latest'
QUESTION = 'Pull it? (y/n)'


def test_no_terminal_and_no_yes_skips_the_pull_naming_yes(az, tools):
    tools.docker()
    result = az.run('acr', 'check-health', '-o', 'json', bin_dir=tools.path, timeout=30)
    assert result.returncode == 0, result  # nothing failed
    pull = result.checks()['docker-pull']
    assert pull['status'] == 'skipped' and '--yes' in pull['message']
    assert QUESTION not in result.stderr  # no prompt
    assert not any(call.startswith('pull') for call in tools.calls('docker'))


def test_no_terminal_with_yes_pulls(az, tools):
    tools.docker()
    result = az.run('acr', 'check-health', '--yes', '-o', 'json', bin_dir=tools.path)
    assert result.returncode == 0, result
    assert result.checks()['docker-pull']['status'] == 'passed'
    assert 'pull ' + SAMPLE_IMAGE in tools.calls('docker')
    assert QUESTION not in result.stderr


def test_terminal_answer_no_skips_the_pull(az, tools):
    tools.docker()
    result = az.run_on_terminal('acr', 'check-health', '-o', 'json', answer='n\n',
                                bin_dir=tools.path)
    assert result.returncode == 0, result
    assert QUESTION in result.stderr and QUESTION not in result.stdout
    pull = result.checks()['docker-pull']
    assert pull['status'] == 'skipped'
    assert pull['message'] == 'You chose not to pull {}.'.format(SAMPLE_IMAGE)
    assert not any(call.startswith('pull') for call in tools.calls('docker'))


def test_terminal_answer_yes_pulls(az, tools):
    tools.docker()
    result = az.run_on_terminal('acr', 'check-health', '-o', 'json', answer='y\n',
                                bin_dir=tools.path)
    assert result.returncode == 0, result
    assert QUESTION in result.stderr
    assert result.checks()['docker-pull']['status'] == 'passed'
    assert 'pull ' + SAMPLE_IMAGE in tools.calls('docker')


def test_terminal_end_of_input_is_no(az, tools):
    tools.docker()
    result = az.run_on_terminal('acr', 'check-health', '-o', 'json', answer='\x04',
                                bin_dir=tools.path, timeout=30)
    assert result.returncode == 0, result
    assert result.checks()['docker-pull']['message'].startswith('You chose not to pull')


def test_terminal_with_yes_does_not_ask(az, tools):
    tools.docker()
    result = az.run_on_terminal('acr', 'check-health', '--yes', '-o', 'json', answer='n\n',
                                bin_dir=tools.path)
    assert result.returncode == 0, result
    assert QUESTION not in result.stderr
    assert result.checks()['docker-pull']['status'] == 'passed'


def test_terminal_asks_again_until_it_understands(az, tools):
    tools.docker()
    result = az.run_on_terminal('acr', 'check-health', '-o', 'json', answer='maybe\nYES\n',
                                bin_dir=tools.path)
    assert result.returncode == 0, result
    assert result.stderr.count(QUESTION) == 2
    assert result.checks()['docker-pull']['status'] == 'passed'
